//! Billing data, as pure functions over what it is handed.
//!
//! Readers turn FOCUS and AWS CUR exports (CSV, gzip, Parquet) into [`LineItem`]s in FOCUS
//! terms, refusing a row with the file, row, column, value and rule it broke; the
//! [`generate`] module writes realistic files for tests and benchmarks; [`rules`]
//! places each cost in a group, first matching rule wins, or leaves it Unallocated.
//! Nothing here opens the caller's files or talks to the database: the service and
//! the command line hand readers their bytes and take the items to the store. Only
//! an import's daily sums go to temporary files when they outgrow memory.

pub mod columnar;
pub mod daily;
pub mod generate;
pub mod item;
pub mod read;
pub mod rules;
mod spill;

pub use item::{Amount, LineItem};
pub use read::{FileError, Format, FormatChoice, Reader, RowError};
pub use rules::{
    Allocation, CostKey, KeyIds, Matcher, Placement, Rule, RuleSet, RulesError, Share, Split,
    SplitMethod, Target, To, ValueTest,
};
