// filepath: src/app/page.tsx
// Purpose: Public landing page (listed in the middleware's public routes).
import Link from 'next/link';
import { Show, UserButton } from '@clerk/nextjs';

export default function HomePage() {
  return (
    <>
      <h1>Welcome to the seed app</h1>
      <nav>
        <Link href="/dashboard">Dashboard</Link>
        <Link href="/pro">Pro</Link>
        <Link href="/about">About</Link>
        {/* @clerk/nextjs 7 (Clerk Core 3) replaced <SignedIn>/<SignedOut> with <Show when=...>. */}
        <Show when="signed-in">
          <UserButton />
        </Show>
        <Show when="signed-out">
          <Link href="/sign-in">Sign in</Link>
        </Show>
      </nav>
    </>
  );
}
