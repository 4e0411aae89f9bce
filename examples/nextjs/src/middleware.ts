// filepath: src/middleware.ts
// Purpose: Execute session audits and redirect unauthenticated traffic using Clerk SDK.
import { clerkMiddleware, createRouteMatcher } from '@clerk/nextjs/server';

// Define paths that do not require logging in (e.g. landing page and public articles)
const isPublicRoute = createRouteMatcher([
  '/',
  '/articles(.*)',
  '/about',
  // The sign-in and sign-up pages must be public: auth.protect() sends signed-out
  // visitors to /sign-in, so protecting it too would redirect it to itself forever.
  '/sign-in(.*)',
  '/sign-up(.*)',
  // Webhook deliveries (Svix) carry no session; they prove themselves with the
  // svix-signature header that the route handler verifies instead.
  '/api/webhooks(.*)',
]);

export default clerkMiddleware(async (auth, request) => {
  if (!isPublicRoute(request)) {
    // 1. Audit user credentials
    await auth.protect();
  }
});

export const config = {
  matcher: [
    // 2. Intercept page routing requests and API hooks
    '/((?!_next|[^?]*\\.(?:html|css|js|jpe?g|webp|png|gif|svg|ttf|woff2?|ico|csv|docx?|xlsx?|zip|webmanifest)).*)',
    '/(api|trpc)(.*)',
  ],
};
