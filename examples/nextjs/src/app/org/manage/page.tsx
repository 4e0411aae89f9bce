// filepath: src/app/org/manage/page.tsx
// Purpose: Members, invitations and roles of the active organization (Clerk's
// prebuilt <OrganizationProfile/>, hash-routed so one page holds all of it).
import { OrganizationProfile } from '@clerk/nextjs';

export default function ManagePage() {
  return <OrganizationProfile routing="hash" afterLeaveOrganizationUrl="/org" />;
}
