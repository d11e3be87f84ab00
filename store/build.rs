//! `sqlx::migrate!` embeds `migrations/` when this crate compiles; without this, a new
//! migration file alone (no source change here) would not be embedded by an
//! incremental build, and a server would start without it.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
