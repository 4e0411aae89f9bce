// filepath: src/app/dashboard/page.tsx
// Purpose: Protected page; the middleware has already run auth.protect() for it.
import { currentUser } from '@clerk/nextjs/server';
import { UserButton } from '@clerk/nextjs';

export default async function DashboardPage() {
  const user = await currentUser();
  const email = user?.primaryEmailAddress?.emailAddress ?? user?.emailAddresses[0]?.emailAddress;
  const firstName = user?.firstName;

  return (
    <>
      <h1>Dashboard</h1>
      <p data-testid="user-email">{email}</p>
      <p data-testid="user-name">{firstName}</p>
      <UserButton />
    </>
  );
}
