// filepath: src/app/api/webhooks/clerk/route.ts
// Purpose: Verify Clerk Svix signatures and sync user lifecycle events with PostgreSQL.
import { Webhook } from 'svix';
import { headers } from 'next/headers';
import { WebhookEvent } from '@clerk/nextjs/server';
import { db } from '@/lib/db';
import { NextResponse } from 'next/server';

export async function POST(req: Request) {
  const WEBHOOK_SECRET = process.env.CLERK_WEBHOOK_SECRET;
  if (!WEBHOOK_SECRET) {
    return new Response('Missing webhook secret configuration', { status: 500 });
  }

  // 1. Retrieve Svix cryptographic headers
  const headerList = await headers();
  const svix_id = headerList.get('svix-id');
  const svix_timestamp = headerList.get('svix-timestamp');
  const svix_signature = headerList.get('svix-signature');

  if (!svix_id || !svix_timestamp || !svix_signature) {
    return new Response('Missing security signature verification headers', { status: 400 });
  }

  const payload = await req.json();
  const body = JSON.stringify(payload);
  const wh = new Webhook(WEBHOOK_SECRET);
  let evt: WebhookEvent;

  // 2. Validate request cryptographic hash to verify it was sent by Clerk
  try {
    evt = wh.verify(body, {
      'svix-id': svix_id,
      'svix-timestamp': svix_timestamp,
      'svix-signature': svix_signature,
    }) as WebhookEvent;
  } catch (err) {
    console.error('Clerk signature mismatch:', err);
    return new Response('Invalid webhook token signature', { status: 400 });
  }

  const { id } = evt.data;
  const eventType = evt.type;

  // 3. Synchronize operations based on the event payload type
  if (eventType === 'user.created' || eventType === 'user.updated') {
    const email = evt.data.email_addresses?.[0]?.email_address;
    const name = `${evt.data.first_name || ''} ${evt.data.last_name || ''}`.trim();

    await db.user.upsert({
      where: { clerkId: id },
      update: {
        email,
        name,
        avatarUrl: evt.data.image_url,
      },
      create: {
        clerkId: id || '',
        email: email || '',
        name,
        avatarUrl: evt.data.image_url,
      },
    });
  }

  if (eventType === 'user.deleted') {
    await db.user.delete({
      where: { clerkId: id },
    });
  }

  return NextResponse.json({ received: true });
}
