//! A Matrix homeserver and identity server built on the generated `matrix-api` traits:
//! registration with User-Interactive Authentication, login, refresh tokens, password
//! changes, 3pids bound through the identity server, signed associations, OpenID.
//!
//! [`app::start`] runs both servers (or either) over memory, SQLite or PostgreSQL.

pub mod addresses;
pub mod app;
pub mod clock;
pub mod errors;
pub mod homeserver;
pub mod identity;
pub mod limits;
pub mod mail;
pub mod ratelimit;
pub mod remote;
pub mod secrets;
pub mod serve;
pub mod signing;
pub mod store;
pub mod threepid;

pub use app::{Database, Running, Settings, start};
