// filepath: src/app/api/user/profile/route.ts
// Purpose: Authenticate requests and return user details from active Clerk sessions.
import { auth, currentUser } from '@clerk/nextjs/server';
import { NextResponse } from 'next/server';

export async function GET() {
  // 1. Fetch authentication identity from token headers
  const { userId } = await auth();
  if (!userId) {
    return NextResponse.json({ error: 'Unauthorized access' }, { status: 401 });
  }

  // 2. Query user meta profile data directly from Clerk API
  const user = await currentUser();
  return NextResponse.json({
    id: userId,
    email: user?.emailAddresses[0]?.emailAddress,
    firstName: user?.firstName,
  });
}
