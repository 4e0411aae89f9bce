// Apply Clerk's Next.js quickstart to a fresh `create-next-app` app, and
// nothing else: a `proxy.ts` with `clerkMiddleware()`, and `<ClerkProvider>`
// with the sign-in, sign-up and user buttons in the root layout (Clerk's
// "Add Clerk to your Next.js app", App Router, @clerk/nextjs Core 3: `<Show>`
// instead of the removed `<SignedIn>`/`<SignedOut>`). Fails if the template's
// layout no longer has the shape the edits expect.
//
//   node quickstart.mjs <app dir>
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
if (!dir) throw new Error('usage: node quickstart.mjs <app dir>');

writeFileSync(
  join(dir, 'proxy.ts'),
  `import { clerkMiddleware } from '@clerk/nextjs/server';

export default clerkMiddleware();

export const config = {
  matcher: [
    // Skip Next.js internals and all static files, unless found in search params
    '/((?!_next|[^?]*\\\\.(?:html?|css|js(?!on)|jpe?g|webp|png|gif|svg|ttf|woff2?|ico|csv|docx?|xlsx?|zip|webmanifest)).*)',
    // Always run for API routes
    '/(api|trpc)(.*)',
  ],
};
`,
);

const layoutPath = join(dir, 'app', 'layout.tsx');
let layout = readFileSync(layoutPath, 'utf8');
const edit = (from, to) => {
  if (!layout.includes(from)) throw new Error(`layout.tsx: expected ${JSON.stringify(from)}`);
  layout = layout.replace(from, to);
};
edit(
  'import type { Metadata } from "next";\n',
  'import type { Metadata } from "next";\n' +
    "import { ClerkProvider, Show, SignInButton, SignUpButton, UserButton } from '@clerk/nextjs';\n",
);
edit('    <html ', '    <ClerkProvider>\n      <html ');
edit('    </html>\n', '      </html>\n    </ClerkProvider>\n');
edit(
  '<body>{children}</body>',
  `<body>
          <header>
            <Show when="signed-out">
              <SignInButton />
              <SignUpButton />
            </Show>
            <Show when="signed-in">
              <UserButton />
            </Show>
          </header>
          {children}
        </body>`,
);
writeFileSync(layoutPath, layout);
