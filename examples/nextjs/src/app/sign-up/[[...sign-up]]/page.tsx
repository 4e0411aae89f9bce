// filepath: src/app/sign-up/[[...sign-up]]/page.tsx
// Purpose: Render Clerk client-side sign-up widgets.
import { SignUp } from '@clerk/nextjs';

export default function SignUpPage() {
  return (
    <div className="flex min-h-screen items-center justify-center py-12">
      <SignUp routing="path" path="/sign-up" signInUrl="/sign-in" />
    </div>
  );
}
