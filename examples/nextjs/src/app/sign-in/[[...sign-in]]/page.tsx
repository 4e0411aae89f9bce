// filepath: src/app/sign-in/[[...sign-in]]/page.tsx
// Purpose: Render Clerk client-side sign-in widgets.
import { SignIn } from '@clerk/nextjs';

export default function SignInPage() {
  return (
    <div className="flex min-h-screen items-center justify-center py-12">
      <SignIn routing="path" path="/sign-in" signUpUrl="/sign-up" />
    </div>
  );
}
