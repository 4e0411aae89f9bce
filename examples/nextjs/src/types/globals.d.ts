// filepath: src/types/globals.d.ts
// Purpose: Type the custom session claims. The session token template must
// include `"metadata": "{{user.public_metadata}}"` for the claim to be present.
export {};

declare global {
  interface CustomJwtSessionClaims {
    metadata: {
      tier?: string;
    };
  }
}
