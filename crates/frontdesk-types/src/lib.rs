//! The wire contract between Frontdesk and its callers.
//!
//! Everything here serialises to exactly the JSON Clerk's servers send, because
//! Clerk's own SDKs (`@clerk/backend`, clerk-js) dispatch on these shapes: the
//! `object` discriminator, millisecond timestamps and `linked_to: []` are not
//! optional niceties but what makes `currentUser()` work. The crate has no IO so
//! that the server, the Rust SDK and the CLI can all depend on it cheaply.

pub mod common;
pub mod error;
pub mod frontend;
pub mod id;
pub mod instance;
pub mod jwks;
pub mod organization;
pub mod session;
pub mod user;
pub mod webhook;

pub use error::{ClerkError, ClerkErrors};
pub use id::{
    ActorTokenId, AttemptId, AuditEventId, ClientId, EmailAddressId, IdParseError, InstanceId,
    MembershipRequestId, MessageId, OrganizationDomainId, OrganizationId, OrganizationInvitationId,
    OrganizationMembershipId, OrganizationSuggestionId, PermissionId, RoleId, SecretKeyId,
    SessionId, SigningKeyId, UserId, WebhookEndpointId,
};
