// A stand-in for Google Fonts, which create-next-app's layout asks for
// (`next/font/google`: Geist, Geist Mono) and which must not be reached from
// a test: nothing leaves loopback. Next.js reads it through
// NEXT_FONT_GOOGLE_MOCKED_RESPONSES (its own test hook, honoured by
// Turbopack and webpack): each stylesheet URL the template asks for gets an
// @font-face rule with a `local()` source, so no font file is fetched and the
// page falls back to a system font, as `next dev` does when offline.
const face = (family) => `@font-face {
  font-family: '${family}';
  font-style: normal;
  font-weight: 100 900;
  font-display: swap;
  src: local('${family}');
}
`;
const url = (family) =>
  `https://fonts.googleapis.com/css2?family=${family.replace(/ /g, '+')}:wght@100..900&display=swap`;
module.exports = Object.fromEntries(['Geist', 'Geist Mono'].map((f) => [url(f), face(f)]));
