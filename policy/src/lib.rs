//! The Portcullis policy engine.
//!
//! Pure Rust, no I/O and no async runtime, so the console, the API and the command
//! line share one implementation. The stages are separate modules, as in cedar-policy:
//!
//! - [`json`] and [`document`]: the AWS grammar, read with positions and validated with
//!   AWS's messages ([`error`]).
//! - [`compile`]: documents into an action-indexed [`PolicySet`].
//! - [`evaluate`]: AWS's evaluation logic over identity, resource, boundary and session
//!   layers, with its explanation.
//! - [`catalog`], [`templates`], [`lint`]: what the product knows about services and
//!   actions, the managed templates built from it, and Access Analyzer-style findings.
//! - [`simulate`]: the simulator's JSON case format, shared by the CLI and the console.

pub mod catalog;
pub mod compile;
pub mod condition;
pub mod document;
pub mod error;
pub mod evaluate;
mod fasthash;
pub mod json;
pub mod lint;
pub mod pattern;
pub mod request;
pub mod simulate;
pub mod summary;
pub mod templates;
pub mod time;

pub use compile::PolicySet;
pub use document::{Effect, PolicyDocument, Statement};
pub use error::{Location, PolicyError, PolicyErrorKind, PolicyErrors, PolicyKind};
pub use evaluate::{Decision, Evaluator, Explanation, Layer, MatchedStatement};
pub use request::{Context, ContextValue, Principal, PrincipalKind, Request, Resource};
