// filepath: src/app/pro/page.tsx
// Purpose: Gate a feature on the session token's metadata claim (no API call needed).
import { auth } from '@clerk/nextjs/server';
import Link from 'next/link';

export default async function ProPage() {
  const { sessionClaims } = await auth();
  const tier = sessionClaims?.metadata?.tier;

  if (tier === 'pro') {
    return (
      <>
        <h1>Pro</h1>
        <p>Thanks for being a pro customer.</p>
      </>
    );
  }

  return (
    <>
      <h1>Upgrade required</h1>
      <p data-testid="tier-status">
        Your tier is {tier ? `"${tier}"` : 'not set'}; this page needs "pro".
      </p>
      <Link href="/">Home</Link>
    </>
  );
}
