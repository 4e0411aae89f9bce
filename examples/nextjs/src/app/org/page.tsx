// filepath: src/app/org/page.tsx
// Purpose: The active organization of the session, and a page part gated on a
// custom permission, checked on the server from the session token alone.
import { OrganizationSwitcher } from '@clerk/nextjs';
import { auth } from '@clerk/nextjs/server';
import Link from 'next/link';

export default async function OrgPage() {
  const { orgId, orgSlug, orgRole, has } = await auth();
  const canReadInvoices = has({ permission: 'org:invoices:read' });

  return (
    <>
      <h1>Organization</h1>
      <OrganizationSwitcher
        afterCreateOrganizationUrl="/org"
        afterSelectOrganizationUrl="/org"
        afterSelectPersonalUrl="/org"
        afterLeaveOrganizationUrl="/org"
      />
      <p data-testid="active-org">{orgId ? `${orgSlug} as ${orgRole}` : 'Personal account'}</p>
      {canReadInvoices ? (
        <section data-testid="invoices">
          <h2>Invoices</h2>
          <p>Invoice #1001: 42.00 EUR, paid.</p>
        </section>
      ) : (
        <p data-testid="no-invoices">Invoices need the org:invoices:read permission.</p>
      )}
      <Link href="/org/manage">Manage the organization</Link>
    </>
  );
}
