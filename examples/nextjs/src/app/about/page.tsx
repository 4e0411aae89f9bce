// filepath: src/app/about/page.tsx
// Purpose: Public page (listed in the middleware's public routes).
import Link from 'next/link';

export default function AboutPage() {
  return (
    <>
      <h1>About</h1>
      <p>A Next.js app using @clerk/nextjs, served by Frontdesk instead of Clerk.</p>
      <Link href="/">Home</Link>
    </>
  );
}
