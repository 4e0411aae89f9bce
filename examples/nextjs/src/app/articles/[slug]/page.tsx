// filepath: src/app/articles/[slug]/page.tsx
// Purpose: Public article page (matched by '/articles(.*)' in the middleware).
import Link from 'next/link';

export default async function ArticlePage({
  params,
}: {
  params: Promise<{ slug: string }>;
}) {
  const { slug } = await params;
  return (
    <>
      <h1>Article: {slug}</h1>
      <p>Anyone can read this, signed in or not.</p>
      <Link href="/">Home</Link>
    </>
  );
}
