//! Billing data in PostgreSQL: imports streamed with `COPY`, daily rollups kept exact
//! by each import, the allocation rule set and each key's placement, and the sums
//! dashboards and reports ask for.
//!
//! An import runs in one transaction: line items are copied straight into the
//! monthly partitions of `cost_line_items` (a partition is made when the stream
//! announces a new billing period), the keys, daily sums and (billing account,
//! period) pairs the reader gathered follow, and the pairs replace whatever held
//! them before. The reader sums days exactly as it goes ([`spend::daily`], spilling
//! to temporary files past its memory bound) and hands each (key, day) over once, at
//! the end, in index order. Only when the reader could not sum exactly (an amount too
//! precise to hold) are the rollups summed from the new rows in SQL. A stream that
//! ends without [`Chunk::Finish`] (a bad row, a cancel) rolls it all back.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use sqlx::{PgConnection, Row};
use time::{Date, OffsetDateTime};

use crate::audit::{record, AuditEntry};
use crate::cost_keys::{DataVersion, KeyWithCost};
use crate::pg_binary::{self, NotADecimal, Tuples};
use crate::{Store, StoreError};

/// Imports never run side by side: partitions are made and scopes replaced in order.
const IMPORT_LOCK: i64 = 0x636f_7374_696d_7074;

/// A piece of the import stream, in order: for each new billing period a
/// [`Chunk::Period`] before its rows, rows, then the keys and scopes, then
/// [`Chunk::Finish`].
#[derive(Debug)]
pub enum Chunk {
    /// Rows of this billing period follow (its partition must exist).
    Period(Date),
    /// Binary `COPY` tuples of `cost_line_items`, as [`LineItemWriter::take`] hands
    /// them over (no header or trailer: the store adds those).
    Rows(Vec<u8>),
    /// Cost keys first seen in the import, as [`LineItemWriter::take_keys`] writes
    /// them; sent as they pile up and once more at the end.
    Keys(Vec<u8>),
    /// Daily sums (`cost_daily` binary tuples), at the end: each (key, day) once, in
    /// the order of the table's index.
    Daily(Vec<u8>),
    /// Monthly sums per key (`cost_key_monthly` binary tuples), likewise.
    Monthly(Vec<u8>),
    /// Every row's amounts were summed into [`Chunk::Daily`] exactly, with the
    /// import's totals. Without it the store drops those sums and rolls up the line
    /// items (and the totals) itself.
    DailyComplete(ImportTotals),
    /// The (billing account, billing period) pairs the import holds.
    Scopes(Vec<(String, Date)>),
    /// Every row was good: commit.
    Finish,
}

const LINE_ITEM_COLUMNS: &str = "import_id, billing_period_start, billing_account_id, key_id, charge_period_start, charge_period_end, billed_cost, effective_cost, list_cost, pricing_quantity, pricing_unit, charge_description, service_category, billing_account_name, sub_account_name, resource_name";
const KEY_COLUMNS: &str = "id, billing_account_id, sub_account_id, provider, service_name, region_id, availability_zone, resource_id, charge_category, currency, tags, created_by";
const KEY_TEXT: &str = "billing_account_id, sub_account_id, provider, service_name, region_id, availability_zone, resource_id, charge_category, currency";
const DAILY_COLUMNS: &str = "import_id, billing_account_id, billing_period_start, day, key_id, billed_cost, effective_cost, list_cost, line_items";
const MONTHLY_COLUMNS: &str = "import_id, billing_account_id, billing_period_start, month, key_id, billed_cost, effective_cost, list_cost, line_items";

/// Sums as binary `COPY` tuples of `cost_daily` (or `cost_key_monthly`), in the order
/// given (their (day, key) index's: the index then grows at its end, which makes the
/// COPY about twice as fast as in hash order).
fn sums_tuples(
    tuples: &mut Tuples,
    import: i64,
    accounts: &[String],
    groups: &[(spend::daily::Group, spend::daily::DaySums)],
) -> Result<(), StoreError> {
    for &((key, period, day), sums) in groups {
        let account = accounts
            .get(sums.account as usize)
            .map(String::as_str)
            .unwrap_or_default();
        // In DAILY_COLUMNS (and MONTHLY_COLUMNS) order.
        tuples.tuple(9);
        tuples.int8(import);
        tuples.text(account);
        tuples.date(period);
        tuples.date(day);
        tuples.int8(key);
        for amount in [sums.billed, sums.effective, sums.list] {
            tuples
                .numeric(&amount.to_string())
                .map_err(|e| StoreError::Encoding(format!("the sum {} is not a decimal", e.0)))?;
        }
        tuples.int8(sums.line_items);
    }
    Ok(())
}

/// Hands over `sums` as `chunk`s, each group once and in index order, adding each
/// day to `months` on the way (the months are summed from the days).
fn drain_sums(
    sums: &mut spend::daily::DailySums,
    mut months: Option<&mut spend::daily::DailySums>,
    import: i64,
    chunk: fn(Vec<u8>) -> Chunk,
    send: &mut impl FnMut(Chunk) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let mut tuples = Tuples::with_capacity(SUMS_CHUNK + (1 << 16));
    sums.drain_in_order(|accounts, groups| {
        // A part at a time, each chunk sent as soon as it is full: the database
        // writes one while the next is encoded (sent whole at the end, the two
        // took turns, each idle half the time).
        for part in groups.chunks(SUMS_PART) {
            if let Some(months) = months.as_mut() {
                for (group, day) in part {
                    months.add_day(accounts, *group, *day);
                }
            }
            sums_tuples(&mut tuples, import, accounts, part)?;
            if tuples.len() >= SUMS_CHUNK {
                send(chunk(tuples.take()))?;
            }
        }
        Ok::<(), StoreError>(())
    })?;
    if !tuples.is_empty() {
        send(chunk(tuples.take()))?;
    }
    if let Some(failure) = sums.spill_failure() {
        tracing::warn!("import #{import}: {failure}; its sums are rolled up in SQL");
    }
    Ok(())
}

/// Bytes of sums per [`Chunk::Daily`] or [`Chunk::Monthly`].
const SUMS_CHUNK: usize = 4 << 20;

/// Groups of sums encoded between looks at the chunk's size (about 256 KiB).
const SUMS_PART: usize = 2_048;

/// What an import holds in all, summed by the reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportTotals {
    pub line_items: i64,
    /// Exact, at the largest scale of the billed costs (as `sum()` gives it).
    pub billed: String,
    /// The currencies, sorted, comma-separated.
    pub currencies: String,
}

/// Encodes line items as `cost_line_items` binary `COPY` tuples and gathers the distinct keys
/// and (account, period) pairs on the way, so the database never has to find them.
/// A key is encoded once, when first seen, and then only its id is remembered, so
/// memory does not grow with what the keys hold.
pub struct LineItemWriter {
    import: i64,
    rows: Tuples,
    /// Key ids are hashes already: a plain Fx hash suffices.
    seen: rustc_hash::FxHashSet<i64>,
    key_ids: spend::KeyIds,
    keys: csv::Writer<Vec<u8>>,
    scopes: std::collections::BTreeSet<(String, Date)>,
    currencies: std::collections::BTreeSet<String>,
    daily: spend::daily::DailySums,
    /// Filled from `daily` when that is handed over, not per row.
    monthly: spend::daily::DailySums,
}

fn csv_writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::with_capacity(1 << 20))
}

/// Takes a CSV writer's bytes, leaving it empty.
fn drain(writer: &mut csv::Writer<Vec<u8>>) -> Result<Vec<u8>, StoreError> {
    std::mem::replace(writer, csv_writer())
        .into_inner()
        .map_err(|e| StoreError::Encoding(e.to_string()))
}

impl LineItemWriter {
    /// `daily_groups` bounds the daily sums held before [`LineItemWriter::daily_is_full`].
    pub fn new(import_id: i64, daily_groups: usize) -> LineItemWriter {
        LineItemWriter {
            import: import_id,
            rows: Tuples::with_capacity(1 << 20),
            seen: Default::default(),
            key_ids: Default::default(),
            keys: csv_writer(),
            scopes: Default::default(),
            currencies: Default::default(),
            daily: spend::daily::DailySums::new(daily_groups),
            monthly: spend::daily::DailySums::monthly(daily_groups),
        }
    }

    /// Whether this item opens a billing period the stream has not announced.
    pub fn is_new_period(&self, item: &spend::LineItem) -> bool {
        !self
            .scopes
            .iter()
            .any(|(_, period)| *period == item.billing_period_start)
    }

    pub fn push(&mut self, item: &spend::LineItem) -> Result<(), StoreError> {
        let tags = item.tags_json();
        let key = self.key_ids.id_of(item, tags);
        self.daily.add(key, item);
        if !self.currencies.contains(item.currency.as_str()) {
            self.currencies.insert(item.currency.clone());
        }
        if self.seen.insert(key) {
            // In KEY_COLUMNS order: the id, the fields it hashes, the creator.
            let id = key.to_string();
            let created_by = item.created_by().unwrap_or_default();
            let fields = spend::CostKey::fields_of(item, tags);
            self.keys
                .write_record(
                    std::iter::once(id.as_str())
                        .chain(fields)
                        .chain(std::iter::once(created_by.as_str())),
                )
                .map_err(|e| StoreError::Encoding(e.to_string()))?;
        }
        // A few pairs at most: a scan without building a lookup key.
        let known = self.scopes.iter().any(|(account, period)| {
            *period == item.billing_period_start && *account == item.billing_account_id
        });
        if !known {
            self.scopes
                .insert((item.billing_account_id.clone(), item.billing_period_start));
        }
        let start = self.rows.len();
        self.write_row(key, item).map_err(|e| {
            self.rows.truncate(start);
            StoreError::Encoding(format!("{} is not a decimal PostgreSQL takes", e.0))
        })
    }

    /// One tuple in `LINE_ITEM_COLUMNS` order.
    fn write_row(&mut self, key: i64, item: &spend::LineItem) -> Result<(), NotADecimal> {
        let rows = &mut self.rows;
        rows.tuple(16);
        rows.int8(self.import);
        rows.date(item.billing_period_start);
        rows.text(&item.billing_account_id);
        rows.int8(key);
        rows.timestamptz(item.charge_period_start);
        rows.timestamptz(item.charge_period_end);
        rows.numeric(item.billed_cost.as_str())?;
        rows.numeric(item.effective_cost.as_str())?;
        rows.numeric(item.list_cost.as_str())?;
        match &item.pricing_quantity {
            Some(quantity) => rows.numeric(quantity.as_str())?,
            None => rows.null(),
        }
        for text in [
            &item.pricing_unit,
            &item.charge_description,
            &item.service_category,
            &item.billing_account_name,
            &item.sub_account_name,
            &item.resource_name,
        ] {
            rows.text(text);
        }
        Ok(())
    }

    /// Bytes written since the last take.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Hands over the rows written so far.
    pub fn take(&mut self) -> Result<Vec<u8>, StoreError> {
        Ok(self.rows.take())
    }

    /// Bytes of keys first seen since the last [`LineItemWriter::take_keys`].
    pub fn keys_len(&self) -> usize {
        self.keys.get_ref().len()
    }

    /// The keys first seen since the last take, as `cost_keys` CSV rows.
    pub fn take_keys(&mut self) -> Result<Vec<u8>, StoreError> {
        drain(&mut self.keys)
    }

    /// Hands over the daily, then the monthly sums, each group once and in index
    /// order, in chunks; then whether every amount was summed exactly (with the
    /// import's totals). Without totals the store drops what it was handed and rolls
    /// up the line items itself.
    pub fn take_sums(
        &mut self,
        mut send: impl FnMut(Chunk) -> Result<(), StoreError>,
    ) -> Result<Option<ImportTotals>, StoreError> {
        let import = self.import;
        drain_sums(
            &mut self.daily,
            Some(&mut self.monthly),
            import,
            Chunk::Daily,
            &mut send,
        )?;
        drain_sums(&mut self.monthly, None, import, Chunk::Monthly, &mut send)?;
        Ok(self.totals())
    }

    /// The import's totals, when every amount was summed exactly.
    fn totals(&self) -> Option<ImportTotals> {
        (self.daily.is_exact() && self.monthly.is_exact()).then(|| ImportTotals {
            line_items: self.daily.items(),
            billed: self.daily.billed_total().to_string(),
            currencies: self
                .currencies
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join(","),
        })
    }

    pub fn scopes(&self) -> Vec<(String, Date)> {
        self.scopes.iter().cloned().collect()
    }
}

/// Who imports what.
#[derive(Debug, Clone)]
pub struct NewImport {
    pub by: String,
    pub files: String,
    pub format: String,
    pub at: OffsetDateTime,
}

/// A finished import, as the history shows it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CostImport {
    pub id: i64,
    pub imported_at: OffsetDateTime,
    pub imported_by: String,
    pub files: String,
    pub format: String,
    pub line_items: i64,
    pub billed_total: String,
    pub currencies: String,
    pub period_first: Option<Date>,
    pub period_last: Option<Date>,
    pub state: String,
    /// Earlier imports whose (account, period) this one replaced.
    pub replaced: Vec<i64>,
}

/// The inputs of allocation, read under the allocation lock.
#[derive(Debug, Clone)]
pub struct AllocationInputs {
    /// The stored rule set (JSON), or `None` before any was saved.
    pub rules: Option<String>,
    pub version: i64,
    /// (id, name) of every group.
    pub groups: Vec<(String, String)>,
    /// Lower-cased user name → billing group name.
    pub billing_groups: HashMap<String, String>,
    /// Every key with its all-time billed cost (for proportional splits), shared
    /// with the process's copy (see [`crate::cost_keys`]).
    pub keys: Arc<Vec<KeyWithCost>>,
}

/// One share of one key's cost.
#[derive(Debug, Clone, PartialEq)]
pub struct AllocationRow {
    pub key_id: i64,
    pub group_id: Option<String>,
    pub rule: Option<String>,
    /// `NUMERIC` text in (0, 1].
    pub share: String,
}

/// What a report sums by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CostDimension {
    Group,
    /// Group and the rule that placed the cost, as `GROUP_ID\x1fRULE` (rollup only).
    GroupRule,
    Service,
    SubAccount,
    Region,
    AvailabilityZone,
    ChargeCategory,
    Resource,
    Creator,
    Day,
    Month,
    /// A tag key, matched as allocation matches it (trimmed, any case, `user:`).
    Tag(String),
}

impl CostDimension {
    /// Parses `group`, `service`, `account`, `region`, `zone`, `category`,
    /// `resource`, `creator`, `day`, `month` or `tag:KEY`.
    pub fn parse(text: &str) -> Option<CostDimension> {
        let text = text.trim();
        if let Some(key) = text.strip_prefix("tag:") {
            return (!key.trim().is_empty()).then(|| CostDimension::Tag(key.to_string()));
        }
        Some(match text.to_ascii_lowercase().as_str() {
            "group" => CostDimension::Group,
            "service" => CostDimension::Service,
            "account" | "subaccount" | "sub-account" => CostDimension::SubAccount,
            "region" => CostDimension::Region,
            "zone" | "az" => CostDimension::AvailabilityZone,
            "category" => CostDimension::ChargeCategory,
            "resource" => CostDimension::Resource,
            "creator" => CostDimension::Creator,
            "day" => CostDimension::Day,
            "month" => CostDimension::Month,
            _ => return None,
        })
    }
}

/// The explorer's question: a report, optionally over time and filtered.
#[derive(Debug, Clone)]
pub struct CostMatrix {
    pub query: CostQuery,
    pub every: Option<Every>,
    /// Only costs where this dimension has this value (a group by its id, `''` for
    /// Unallocated).
    pub filter: Option<(CostDimension, String)>,
}

/// The explorer's time granularity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Every {
    Day,
    Month,
}

/// One cell of [`Store::cost_matrix`]: `period` is empty without a granularity.
#[derive(Debug, Clone, PartialEq)]
pub struct MatrixRow {
    pub period: String,
    pub value: String,
    pub billed: String,
    pub effective: String,
}

/// A dimension as the per-group rollup keeps it, if it does.
fn rollup_expr(dimension: &CostDimension) -> Option<&'static str> {
    Some(match dimension {
        CostDimension::Group => "coalesce(g.group_id, '')",
        CostDimension::GroupRule => "coalesce(g.group_id, '') || E'\\x1f' || coalesce(g.rule, '')",
        CostDimension::Service => "g.service_name",
        CostDimension::SubAccount => "g.sub_account_id",
        CostDimension::Region => "g.region_id",
        CostDimension::ChargeCategory => "g.charge_category",
        CostDimension::Day => "g.day::text",
        CostDimension::Month => "to_char(g.day, 'YYYY-MM')",
        _ => return None,
    })
}

/// Where a question's sums are read from, smallest first.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    /// `cost_group_daily`.
    Rollup,
    /// `cost_group_facets_monthly`, this facet's rows (whole months only).
    Facet(String),
    /// `cost_group_resources_monthly` (whole months only).
    Resources,
    /// `cost_group_facets_daily`, this facet's rows.
    DailyFacet(String),
    /// The per-key sums, joined to the keys and their placements.
    Keys,
}

/// The facet of `cost_group_facets_monthly` that holds a dimension, if one may.
fn facet_name(dimension: &CostDimension) -> Option<String> {
    match dimension {
        CostDimension::AvailabilityZone => Some("zone".into()),
        CostDimension::Creator => Some("creator".into()),
        CostDimension::Tag(key) => Some(format!("tag:{}", spend::item::normalise_tag_key(key))),
        _ => None,
    }
}

/// A dimension over one facet's rows of `cost_group_facets_monthly`.
fn facet_expr(dimension: &CostDimension) -> &'static str {
    match dimension {
        CostDimension::Group => "coalesce(g.group_id, '')",
        CostDimension::Month => "to_char(g.month, 'YYYY-MM')",
        _ => "g.value",
    }
}

/// A month's largest resources, of all groups or of one, read off an index in that
/// order, where a question is just that (the dashboards' top resources); `None` for
/// any other. Binds the same parameters as every report, most unused.
fn top_resources(matrix: &CostMatrix, limit: Option<u32>, from: Date, to: Date) -> Option<String> {
    let query = &matrix.query;
    let one_month = spend::item::month_start(from + time::Duration::days(31)) == to;
    if limit.is_none()
        || !one_month
        || query.by != CostDimension::Resource
        || matrix.filter.is_some()
        || matrix.every.is_some()
    {
        return None;
    }
    let unused = "$2::date IS NOT NULL AND $5::bool IS NOT NULL AND $6::text IS NOT NULL
                  AND $8::bool IS NOT NULL AND $10::text IS NOT NULL AND $11::bool IS NOT NULL
                  AND $12::text IS NOT NULL";
    let (table, group) = match (&query.scope, &query.group) {
        (GroupScope::All, None) => (
            "cost_resources_monthly",
            "$3 AND $4::text[] IS NOT NULL AND NOT $7 AND $9::text IS NULL",
        ),
        (_, Some(Some(_))) => (
            "cost_group_resources_monthly",
            "$7 AND g.group_id = $9 AND ($3 OR g.group_id = ANY($4))",
        ),
        _ => return None,
    };
    Some(format!(
        "SELECT ''::text AS period, g.resource_id AS value,
                g.billed_cost::text AS billed, g.effective_cost::text AS effective
         FROM {table} g
         WHERE g.month = $1 AND {group} AND {unused}
         ORDER BY g.billed_cost DESC, g.resource_id"
    ))
}

/// A dimension over one facet's rows of `cost_group_facets_daily`.
fn daily_facet_expr(dimension: &CostDimension) -> &'static str {
    match dimension {
        CostDimension::Group => "coalesce(g.group_id, '')",
        CostDimension::Day => "g.day::text",
        CostDimension::Month => "to_char(g.day, 'YYYY-MM')",
        _ => "g.value",
    }
}

/// A dimension over `cost_group_resources_monthly`.
fn resource_expr(dimension: &CostDimension) -> &'static str {
    match dimension {
        CostDimension::Group => "coalesce(g.group_id, '')",
        CostDimension::Month => "to_char(g.month, 'YYYY-MM')",
        _ => "g.resource_id",
    }
}

/// A question's dimensions besides the group and the period, which the rollups
/// hold one at a time.
fn key_dimensions<'a>(dimensions: &[&'a CostDimension]) -> Vec<&'a CostDimension> {
    dimensions
        .iter()
        .copied()
        .filter(|d| **d != CostDimension::Group && !needs_day(d))
        .collect()
}

/// The facet every one of `dimensions` is, if they are all the same one.
fn shared_facet(dimensions: &[&CostDimension]) -> Option<String> {
    let facet = facet_name(dimensions.first()?)?;
    dimensions
        .iter()
        .all(|d| facet_name(d).as_ref() == Some(&facet))
        .then_some(facet)
}

/// Whether a dimension is read from the day itself.
fn needs_day(dimension: &CostDimension) -> bool {
    matches!(dimension, CostDimension::Day | CostDimension::Month)
}

/// A question over per-key sums: `sums` is a relation of `period`, `key_id` and the
/// amounts (and `day`, when a dimension reads it), joined here to the keys and their
/// placements, in the scope and filter every report binds.
fn over_keys(sums: &str, by: &CostDimension, filter: Option<&CostDimension>) -> String {
    let by = key_expr(by, 6);
    let filter = filter.map(|d| key_expr(d, 12)).unwrap_or("''");
    format!(
        "WITH d AS ({sums})
         SELECT d.period AS period, {by} AS value,
                sum(d.billed_cost * coalesce(a.share, 1))::text AS billed,
                sum(d.effective_cost * coalesce(a.share, 1))::text AS effective
         FROM d
         JOIN cost_keys k ON k.id = d.key_id
         LEFT JOIN cost_allocations a ON a.key_id = d.key_id
         WHERE ($3 OR a.group_id = ANY($4) OR ($5 AND a.group_id IS NULL))
           AND (NOT $7 OR ($8 AND a.group_id IS NULL) OR a.group_id = $9)
           AND (NOT $11 OR {filter} = $10)
           AND $6::text IS NOT NULL AND $12::text IS NOT NULL
         GROUP BY 1, 2
         ORDER BY 1, sum(d.billed_cost * coalesce(a.share, 1)) DESC, 2"
    )
}

/// A dimension over the per-key daily sums; a tag key is the SQL parameter `$tag`.
fn key_expr(dimension: &CostDimension, tag: u8) -> &'static str {
    match (dimension, tag) {
        (CostDimension::Group, _) => "coalesce(a.group_id, '')",
        (CostDimension::GroupRule, _) => {
            "coalesce(a.group_id, '') || E'\\x1f' || coalesce(a.rule, '')"
        }
        (CostDimension::Service, _) => "k.service_name",
        (CostDimension::SubAccount, _) => "k.sub_account_id",
        (CostDimension::Region, _) => "k.region_id",
        (CostDimension::AvailabilityZone, _) => "k.availability_zone",
        (CostDimension::ChargeCategory, _) => "k.charge_category",
        (CostDimension::Resource, _) => "k.resource_id",
        (CostDimension::Creator, _) => "coalesce(k.created_by, '')",
        (CostDimension::Day, _) => "d.day::text",
        (CostDimension::Month, _) => "to_char(d.day, 'YYYY-MM')",
        (CostDimension::Tag(_), 12) => {
            "coalesce((SELECT t.value FROM jsonb_each_text(k.tags) AS t(key, value)
               WHERE cost_tag_key(t.key) = $12 LIMIT 1), '')"
        }
        (CostDimension::Tag(_), _) => {
            "coalesce((SELECT t.value FROM jsonb_each_text(k.tags) AS t(key, value)
               WHERE cost_tag_key(t.key) = $6 LIMIT 1), '')"
        }
    }
}

/// A query's scope and group filter, as the report SQL binds them.
struct Filter {
    all: bool,
    group_ids: Vec<String>,
    unallocated: bool,
    one_group: bool,
    only_unallocated: bool,
    group_id: Option<String>,
}

impl Filter {
    fn of(query: &CostQuery) -> Filter {
        let (all, group_ids, unallocated) = match &query.scope {
            GroupScope::All => (true, Vec::new(), true),
            GroupScope::Only {
                group_ids,
                unallocated,
            } => (false, group_ids.clone(), *unallocated),
        };
        let (one_group, only_unallocated, group_id) = match &query.group {
            None => (false, false, None),
            Some(None) => (true, true, None),
            Some(Some(id)) => (true, false, Some(id.clone())),
        };
        Filter {
            all,
            group_ids,
            unallocated,
            one_group,
            only_unallocated,
            group_id,
        }
    }
}

/// Which groups' costs a caller may see.
#[derive(Debug, Clone, PartialEq)]
pub enum GroupScope {
    All,
    Only {
        group_ids: Vec<String>,
        unallocated: bool,
    },
}

#[derive(Debug, Clone)]
pub struct CostQuery {
    /// First day, inclusive.
    pub from: Date,
    /// Last day, exclusive.
    pub to: Date,
    pub by: CostDimension,
    pub scope: GroupScope,
    /// Only this group (`Some(None)`: only Unallocated).
    pub group: Option<Option<String>>,
}

/// One line of a report; sums are exact `NUMERIC` text.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CostRow {
    /// The dimension's value; for groups the group id, empty for Unallocated.
    pub value: String,
    pub billed: String,
    pub effective: String,
}

impl Store {
    /// Imports one stream; see the module's note. The new import's id goes to
    /// `id` as soon as it exists, since the rows carry it.
    pub async fn import_costs(
        &self,
        import: &NewImport,
        id: tokio::sync::oneshot::Sender<i64>,
        mut chunks: tokio::sync::mpsc::Receiver<Chunk>,
        audit: impl FnOnce(&CostImport) -> AuditEntry,
    ) -> Result<CostImport, StoreError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(IMPORT_LOCK)
            .execute(&mut *tx)
            .await?;
        // The new partitions' pages go to disk as they fill (in the background)
        // instead of all at the commit, whose wait shrinks (1M line items: 0.05 s).
        for setting in [
            "SET LOCAL TIME ZONE 'UTC'",
            "SET LOCAL backend_flush_after = '2MB'",
        ] {
            sqlx::query(setting).execute(&mut *tx).await?;
        }
        let import_id: i64 = sqlx::query_scalar(
            "INSERT INTO cost_imports (imported_at, imported_by, files, format) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(import.at)
        .bind(&import.by)
        .bind(&import.files)
        .bind(&import.format)
        .fetch_one(&mut *tx)
        .await?;
        if id.send(import_id).is_err() {
            return Err(StoreError::ImportStopped);
        }
        let copy_rows =
            format!("COPY cost_line_items ({LINE_ITEM_COLUMNS}) FROM STDIN WITH (FORMAT binary)");
        let mut scopes: Vec<(String, Date)> = Vec::new();
        let mut totals = None;
        let copy_daily =
            format!("COPY cost_daily ({DAILY_COLUMNS}) FROM STDIN WITH (FORMAT binary)");
        let copy_monthly =
            format!("COPY cost_key_monthly ({MONTHLY_COLUMNS}) FROM STDIN WITH (FORMAT binary)");
        let mut sums_copied = false;
        // New sums partitions get their index once their sums are in.
        let mut unindexed: Vec<SumsIndex> = Vec::new();
        let mut keys_staged = false;
        let mut finished = false;
        let mut pending = chunks.recv().await;
        while let Some(chunk) = pending.take() {
            match chunk {
                Chunk::Rows(first) => {
                    // Rows stream in one COPY until the next non-row chunk.
                    let mut copy = tx.copy_in_raw(&copy_rows).await?;
                    copy.send(pg_binary::HEADER).await?;
                    copy.send(first).await?;
                    loop {
                        match chunks.recv().await {
                            Some(Chunk::Rows(bytes)) => {
                                copy.send(bytes).await?;
                            }
                            Some(other) => {
                                copy.send(pg_binary::TRAILER).await?;
                                copy.finish().await?;
                                pending = Some(other);
                                break;
                            }
                            None => {
                                copy.abort("import stopped").await?;
                                break;
                            }
                        }
                    }
                    continue;
                }
                Chunk::Period(period) => unindexed.extend(create_partition(&mut tx, period).await?),
                Chunk::Keys(bytes) => {
                    if !keys_staged {
                        sqlx::query(
                            "CREATE TEMP TABLE cost_new_keys (LIKE cost_keys INCLUDING DEFAULTS) ON COMMIT DROP",
                        )
                        .execute(&mut *tx)
                        .await?;
                        keys_staged = true;
                    }
                    copy_in(
                        &mut tx,
                        &format!("COPY cost_new_keys ({KEY_COLUMNS}) FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL ({KEY_TEXT}))"),
                        bytes,
                    )
                    .await?;
                }
                // Final sums, each group once: straight into the tables.
                Chunk::Daily(bytes) => {
                    copy_in_binary(&mut tx, &copy_daily, bytes).await?;
                    sums_copied = true;
                }
                Chunk::Monthly(bytes) => {
                    copy_in_binary(&mut tx, &copy_monthly, bytes).await?;
                    sums_copied = true;
                }
                Chunk::DailyComplete(summed) => totals = Some(summed),
                Chunk::Scopes(pairs) => scopes = pairs,
                Chunk::Finish => {
                    finished = true;
                    break;
                }
            }
            pending = chunks.recv().await;
        }
        if !finished || !keys_staged {
            return Err(StoreError::ImportStopped);
        }
        if totals.is_none() && sums_copied {
            // Sums the reader could not finish exactly are dropped: settling sums the rows.
            for table in ["cost_daily", "cost_key_monthly"] {
                sqlx::query(&format!("DELETE FROM {table} WHERE import_id = $1"))
                    .bind(import_id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        let replaced = settle_import(&mut tx, import_id, &scopes, totals.as_ref()).await?;
        for index in &unindexed {
            index.build(&mut tx).await?;
        }
        let summary = import_by_id(&mut tx, import_id, replaced).await?;
        record(&mut tx, &audit(&summary)).await?;
        tx.commit().await?;
        Ok(summary)
    }

    /// Import history, newest first.
    pub async fn cost_imports(&self, limit: i64) -> Result<Vec<CostImport>, StoreError> {
        let ids: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM cost_imports ORDER BY id DESC LIMIT $1")
                .bind(limit)
                .fetch_all(self.pool())
                .await?;
        let mut conn = self.pool().acquire().await?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(import_by_id(&mut conn, id, Vec::new()).await?);
        }
        Ok(out)
    }

    pub async fn cost_import(&self, id: i64) -> Result<Option<CostImport>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        match import_by_id(&mut conn, id, Vec::new()).await {
            Ok(import) => Ok(Some(import)),
            Err(StoreError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Removes an active import's line items and rollups; its (account, period)
    /// pairs hold nothing afterwards.
    pub async fn roll_back_cost_import(
        &self,
        id: i64,
        by: &str,
        at: OffsetDateTime,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(IMPORT_LOCK)
            .execute(&mut *tx)
            .await?;
        let state: Option<String> =
            sqlx::query_scalar("SELECT state FROM cost_imports WHERE id = $1 FOR UPDATE")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        match state.as_deref() {
            None => {
                return Err(StoreError::NotFound {
                    what: "import",
                    name: format!("#{id}"),
                })
            }
            Some("active") => {}
            Some(other) => {
                return Err(StoreError::ImportNotActive {
                    id,
                    state: other.to_string(),
                })
            }
        }
        // Its rows lie only in the periods it still holds: read just those partitions.
        let periods: Vec<Date> = sqlx::query_scalar(
            "SELECT DISTINCT billing_period_start FROM cost_import_scopes WHERE import_id = $1",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        sqlx::query(
            "DELETE FROM cost_line_items WHERE import_id = $1 AND billing_period_start = ANY($2)",
        )
        .bind(id)
        .bind(&periods)
        .execute(&mut *tx)
        .await?;
        for statement in [
            "DELETE FROM cost_daily WHERE import_id = $1",
            "DELETE FROM cost_key_monthly WHERE import_id = $1",
            "DELETE FROM cost_import_scopes WHERE import_id = $1",
        ] {
            sqlx::query(statement).bind(id).execute(&mut *tx).await?;
        }
        // Dashboards read the rollups: they must lose the import's costs with it.
        let inputs = allocation_inputs(&mut tx, &self.cost_keys).await?;
        let placed = placements(&mut tx).await?;
        rebuild_rollups(&mut tx, &inputs.keys, &placed, KeyStats::Here).await?;
        sqlx::query("UPDATE cost_imports SET state = 'rolled_back', ended_at = $2, ended_by = $3 WHERE id = $1")
            .bind(id)
            .bind(at)
            .bind(by)
            .execute(&mut *tx)
            .await?;
        record(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Reads what allocation needs, lets `compute` place every key, and writes the
    /// placements (and a new rule set, if given) in one transaction that no other
    /// allocation or import interleaves with.
    pub async fn reallocate<E>(
        &self,
        new_rules: Option<(&str, &AuditEntry)>,
        compute: impl FnOnce(&AllocationInputs) -> Result<Vec<AllocationRow>, E>,
    ) -> Result<Result<usize, E>, StoreError> {
        // New data is committed by now, so its statistics are refreshed beside the
        // rebuild instead of inside it.
        let stale = self.key_stats_stale().await?;
        let analyzing = async {
            if stale {
                self.analyze_key_tables().await;
            }
        };
        let (_, rebuilt) = tokio::join!(analyzing, self.reallocate_here(new_rules, compute));
        let (placed, data_changed) = rebuilt?;
        if data_changed && !stale {
            // Data came in between the two looks: its statistics are still due.
            self.analyze_key_tables().await;
        }
        Ok(placed)
    }

    /// Whether the billing data changed since the per-key tables' statistics were
    /// last refreshed (with the rollups that do not depend on the rules).
    async fn key_stats_stale(&self) -> Result<bool, StoreError> {
        let mut conn = self.pool().acquire().await?;
        Ok(data_changed_since_built(&mut conn).await?.is_some())
    }

    /// Refreshes the per-key tables' statistics on a connection of its own. A failure
    /// is only logged: the rollups are committed and right either way, and PostgreSQL's
    /// autovacuum analyzes the tables again in time.
    async fn analyze_key_tables(&self) {
        let analyzed = async {
            let mut conn = self.pool().acquire().await?;
            analyze_key_tables(&mut conn).await
        };
        if let Err(e) = analyzed.await {
            tracing::warn!("refreshing the statistics of the billing data failed: {e}");
        }
    }

    /// [`Store::reallocate`]'s transaction; also says whether the billing data had
    /// changed since the last rebuild.
    async fn reallocate_here<E>(
        &self,
        new_rules: Option<(&str, &AuditEntry)>,
        compute: impl FnOnce(&AllocationInputs) -> Result<Vec<AllocationRow>, E>,
    ) -> Result<(Result<usize, E>, bool), StoreError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(IMPORT_LOCK)
            .execute(&mut *tx)
            .await?;
        let mut inputs = allocation_inputs(&mut tx, &self.cost_keys).await?;
        if let Some((document, _)) = new_rules {
            inputs.rules = Some(document.to_string());
        }
        let rows = match compute(&inputs) {
            Ok(rows) => rows,
            Err(e) => return Ok((Err(e), false)),
        };
        if let Some((document, audit)) = new_rules {
            sqlx::query(
                "INSERT INTO cost_rules (document, version, updated_at, updated_by) VALUES ($1::jsonb, 1, $2, $3)
                 ON CONFLICT (one_row) DO UPDATE SET document = EXCLUDED.document, version = cost_rules.version + 1,
                     updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by",
            )
            .bind(document)
            .bind(audit.at)
            .bind(&audit.actor)
            .execute(&mut *tx)
            .await?;
            record(&mut tx, audit).await?;
        }
        sqlx::query("DELETE FROM cost_allocations")
            .execute(&mut *tx)
            .await?;
        let count = rows.len();
        let mut copy = CsvCopy::start(
            &mut tx,
            "COPY cost_allocations (key_id, group_id, rule, share) FROM STDIN WITH (FORMAT csv)",
        )
        .await?;
        for row in &rows {
            copy.row([
                row.key_id.to_string().as_str(),
                row.group_id.as_deref().unwrap_or(""),
                row.rule.as_deref().unwrap_or(""),
                &row.share,
            ])
            .await?;
        }
        copy.finish().await?;
        // Room to sum the rollup in a hash table instead of sorting it on disk.
        sqlx::query("SET LOCAL work_mem = '128MB'")
            .execute(&mut *tx)
            .await?;
        let data_changed = rebuild_rollups(&mut tx, &inputs.keys, &rows, KeyStats::Beside).await?;
        tx.commit().await?;
        Ok((Ok(count), data_changed))
    }

    /// Builds the rollups a migration added (the facets) where billing data was
    /// imported before them; nothing when they are there or there is no data.
    pub(crate) async fn build_missing_cost_rollups(&self) -> Result<(), StoreError> {
        const MISSING: &str =
            "SELECT EXISTS (SELECT 1 FROM cost_keys)
                 AND NOT (EXISTS (SELECT 1 FROM cost_facets) AND EXISTS (SELECT 1 FROM cost_data_rollups_source))";
        // Asked first without the lock: a server starting beside a long import must
        // not wait for it.
        if !sqlx::query_scalar::<_, bool>(MISSING)
            .fetch_one(self.pool())
            .await?
        {
            return Ok(());
        }
        let mut tx = self.pool().begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(IMPORT_LOCK)
            .execute(&mut *tx)
            .await?;
        let missing: bool = sqlx::query_scalar(MISSING).fetch_one(&mut *tx).await?;
        if missing {
            let inputs = allocation_inputs(&mut tx, &self.cost_keys).await?;
            let placed = placements(&mut tx).await?;
            rebuild_rollups(&mut tx, &inputs.keys, &placed, KeyStats::Here).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// What allocation reads, outside the allocation lock (for previews).
    pub async fn allocation_inputs(&self) -> Result<AllocationInputs, StoreError> {
        let mut conn = self.pool().acquire().await?;
        allocation_inputs(&mut conn, &self.cost_keys).await
    }

    /// The currencies billing data is in.
    pub async fn cost_currencies(&self) -> Result<Vec<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT DISTINCT currency FROM cost_keys ORDER BY 1")
                .fetch_all(self.pool())
                .await?,
        )
    }

    /// The stored rule set and its version.
    pub async fn cost_rules(&self) -> Result<Option<(String, i64)>, StoreError> {
        let row = sqlx::query("SELECT document::text AS document, version FROM cost_rules")
            .fetch_optional(self.pool())
            .await?;
        row.map(|row| Ok((row.try_get("document")?, row.try_get("version")?)))
            .transpose()
            .map_err(|e: sqlx::Error| e.into())
    }

    /// Every key's current placement (for previews).
    pub async fn cost_allocations(&self) -> Result<Vec<AllocationRow>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        placements(&mut conn).await
    }

    /// Billed cost per key over `[from, to)` (for previews), from the monthly sums
    /// when the period covers whole months (about a thirtieth of the daily rows).
    pub async fn cost_by_key(
        &self,
        from: Date,
        to: Date,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        let (sql, from, to) = match self.whole_months(from, to).await? {
            Some((from, to)) => (
                "SELECT key_id, sum(billed_cost)::text AS billed FROM cost_key_monthly
                 WHERE month >= $1 AND month < $2 GROUP BY key_id",
                from,
                to,
            ),
            None => (
                "SELECT key_id, sum(billed_cost)::text AS billed FROM cost_daily
                 WHERE day >= $1 AND day < $2 GROUP BY key_id",
                from,
                to,
            ),
        };
        let rows = sqlx::query(sql)
            .bind(from)
            .bind(to)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("key_id")?, row.try_get("billed")?)))
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }

    /// Sums billed and effective cost by one dimension over a period, within the
    /// caller's scope of groups; Unallocated is the empty group.
    pub async fn cost_report(&self, query: &CostQuery) -> Result<Vec<CostRow>, StoreError> {
        self.cost_top(query, None).await
    }

    /// The `limit` largest lines of [`Store::cost_report`] (top resources: a month
    /// has tens of thousands), or all of them.
    pub async fn cost_top(
        &self,
        query: &CostQuery,
        limit: Option<u32>,
    ) -> Result<Vec<CostRow>, StoreError> {
        let matrix = CostMatrix {
            query: query.clone(),
            every: None,
            filter: None,
        };
        Ok(self
            .matrix(&matrix, limit)
            .await?
            .into_iter()
            .map(|row| CostRow {
                value: row.value,
                billed: row.billed,
                effective: row.effective,
            })
            .collect())
    }

    /// Sums by one dimension, optionally per day or month (stacked charts, the explorer)
    /// and only where another dimension has a value. Read from the smallest table that
    /// holds both dimensions: the per-group rollup, its facets (zone, creator, tags),
    /// its monthly resources, else the per-key sums. Every one gives the same answer.
    pub async fn cost_matrix(&self, matrix: &CostMatrix) -> Result<Vec<MatrixRow>, StoreError> {
        self.matrix(matrix, None).await
    }

    /// [`Store::cost_matrix`], keeping the first `limit` rows.
    async fn matrix(
        &self,
        matrix: &CostMatrix,
        limit: Option<u32>,
    ) -> Result<Vec<MatrixRow>, StoreError> {
        let query = &matrix.query;
        let filter_dimension = matrix.filter.as_ref().map(|(dimension, _)| dimension);
        let dimensions: Vec<&CostDimension> =
            std::iter::once(&query.by).chain(filter_dimension).collect();
        let rolled_up_daily = dimensions.iter().all(|d| rollup_expr(d).is_some());
        let months = match matrix.every {
            Some(Every::Day) => None,
            // The daily rollup needs no whole months: spare the question.
            _ if rolled_up_daily => None,
            _ => self.whole_months(query.from, query.to).await?,
        };
        let source = if rolled_up_daily {
            Source::Rollup
        } else {
            self.source(&dimensions, months.is_some()).await?
        };
        let period = |day: &str| match matrix.every {
            None => "''::text".to_string(),
            Some(Every::Day) => format!("{day}::text"),
            Some(Every::Month) => format!("to_char({day}, 'YYYY-MM')"),
        };
        let (from, to) = match source {
            Source::Resources | Source::Facet(_) => months.unwrap_or((query.from, query.to)),
            _ => (query.from, query.to),
        };
        let filter_value = matrix.filter.as_ref().map(|(_, v)| v.clone());
        let filter_tag = match filter_dimension {
            Some(CostDimension::Tag(key)) => spend::item::normalise_tag_key(key),
            _ => String::new(),
        };
        let mut by_tag = match &query.by {
            CostDimension::Tag(key) => spend::item::normalise_tag_key(key),
            _ => String::new(),
        };
        let rolled_up = |table: &str, day: &str, expr: fn(&CostDimension) -> &'static str| {
            let filter = filter_dimension.map(expr).unwrap_or("''");
            let facet = match source {
                Source::Facet(_) | Source::DailyFacet(_) => "g.facet = $6",
                _ => "$6::text IS NOT NULL",
            };
            format!(
                "SELECT {period} AS period, {by} AS value,
                        sum(g.billed_cost)::text AS billed, sum(g.effective_cost)::text AS effective
                 FROM {table} g
                 WHERE g.{day} >= $1 AND g.{day} < $2
                   AND ($3 OR g.group_id = ANY($4) OR ($5 AND g.group_id IS NULL))
                   AND (NOT $7 OR ($8 AND g.group_id IS NULL) OR g.group_id = $9)
                   AND (NOT $11 OR {filter} = $10)
                   AND {facet} AND $12::text IS NOT NULL
                 GROUP BY 1, 2
                 ORDER BY 1, sum(g.billed_cost) DESC, 2",
                period = period(&format!("g.{day}")),
                by = expr(&query.by),
            )
        };
        let (from, to, sql) = match &source {
            Source::Rollup => (
                from,
                to,
                rolled_up("cost_group_daily", "day", |d| {
                    rollup_expr(d).unwrap_or("''")
                }),
            ),
            Source::Facet(facet) => {
                by_tag = facet.clone();
                (
                    from,
                    to,
                    rolled_up("cost_group_facets_monthly", "month", facet_expr),
                )
            }
            Source::Resources => (
                from,
                to,
                match top_resources(matrix, limit, from, to) {
                    Some(sql) => sql,
                    None => rolled_up("cost_group_resources_monthly", "month", resource_expr),
                },
            ),
            Source::DailyFacet(facet) => {
                by_tag = facet.clone();
                (
                    from,
                    to,
                    rolled_up("cost_group_facets_daily", "day", daily_facet_expr),
                )
            }
            Source::Keys
                if matrix.every != Some(Every::Day) && dimensions.iter().all(|d| !needs_day(d)) =>
            {
                // Each key's days summed first (per period), its columns read once
                // per key, only the sums multiplied by the shares. Whole months
                // come from the monthly sums. (Per day there is nothing to sum first:
                // a key has about one row a day.)
                let (table, bucket, from, to) = match months {
                    Some((from, to)) => ("cost_key_monthly", "month", from, to),
                    None => ("cost_daily", "day", query.from, query.to),
                };
                let sums = format!(
                    "SELECT {period} AS period, key_id,
                         sum(billed_cost) AS billed_cost, sum(effective_cost) AS effective_cost
                     FROM {table} WHERE {bucket} >= $1 AND {bucket} < $2 GROUP BY 1, 2",
                    period = period(bucket)
                );
                (from, to, over_keys(&sums, &query.by, filter_dimension))
            }
            Source::Keys => {
                let sums = format!(
                    "SELECT {period} AS period, day, key_id, billed_cost, effective_cost
                     FROM cost_daily WHERE day >= $1 AND day < $2",
                    period = period("day")
                );
                (
                    query.from,
                    query.to,
                    over_keys(&sums, &query.by, filter_dimension),
                )
            }
        };
        let sql = match limit {
            Some(limit) => format!("{sql} LIMIT {limit}"),
            None => sql,
        };
        let filter = Filter::of(query);
        let mut tx = self.pool().begin().await?;
        // The per-key sums group a hundred thousand keys: room to hash them in memory.
        if source == Source::Keys {
            sqlx::query("SET LOCAL work_mem = '64MB'")
                .execute(&mut *tx)
                .await?;
        }
        let rows = sqlx::query(&sql)
            .bind(from)
            .bind(to)
            .bind(filter.all)
            .bind(&filter.group_ids)
            .bind(filter.unallocated)
            .bind(&by_tag)
            .bind(filter.one_group)
            .bind(filter.only_unallocated)
            .bind(filter.group_id)
            .bind(filter_value.clone().unwrap_or_default())
            .bind(filter_value.is_some())
            .bind(&filter_tag)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        rows.iter()
            .map(|row| {
                Ok(MatrixRow {
                    period: row.try_get("period")?,
                    value: row.try_get("value")?,
                    billed: row.try_get("billed")?,
                    effective: row.try_get("effective")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }

    /// Which table answers a question about dimensions the daily rollup lacks.
    async fn source(
        &self,
        dimensions: &[&CostDimension],
        whole_months: bool,
    ) -> Result<Source, StoreError> {
        // Monthly tables, besides group and month, hold one dimension at a time.
        if !whole_months || dimensions.iter().any(|d| **d == CostDimension::Day) {
            return self.daily_source(dimensions).await;
        }
        let held = key_dimensions(dimensions);
        let candidate = shared_facet(&held).or_else(|| {
            held.iter()
                .all(|d| **d == CostDimension::Resource)
                .then(|| "resource".to_string())
        });
        let Some(candidate) = candidate else {
            return self.daily_source(dimensions).await;
        };
        Ok(
            match (self.holds_facet(&candidate).await?, candidate.as_str()) {
                (false, _) => Source::Keys,
                (true, "resource") => Source::Resources,
                (true, _) => Source::Facet(candidate),
            },
        )
    }

    /// Which table answers a question the monthly tables cannot: the daily facets
    /// for one facet (besides group, day and month), else the per-key sums.
    async fn daily_source(&self, dimensions: &[&CostDimension]) -> Result<Source, StoreError> {
        let Some(facet) = shared_facet(&key_dimensions(dimensions)) else {
            return Ok(Source::Keys);
        };
        // Built in the same transaction as cost_facets, so one tells of both.
        Ok(if self.holds_facet(&facet).await? {
            Source::DailyFacet(facet)
        } else {
            Source::Keys
        })
    }

    /// Whether the facet rollups hold `facet` (they are empty until first built).
    async fn holds_facet(&self, facet: &str) -> Result<bool, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM cost_facets WHERE facet = $1)")
                .bind(facet)
                .fetch_one(self.pool())
                .await?,
        )
    }

    /// The whole months that hold the same costs as `[from, to)`, if any: a range
    /// that starts on or before the first day with data may start at that day's
    /// month, and one that ends after the last may end with that day's month. So a
    /// month to date reads monthly sums once the data stops before today.
    async fn whole_months(&self, from: Date, to: Date) -> Result<Option<(Date, Date)>, StoreError> {
        if from.day() == 1 && to.day() == 1 {
            return Ok((from < to).then_some((from, to)));
        }
        let Some((first, last)) = self.cost_days().await? else {
            return Ok(None);
        };
        if from > last || to <= first || from >= to {
            return Ok(None);
        }
        let from = if from <= first {
            spend::item::month_start(first)
        } else {
            from
        };
        let to = if to > last {
            spend::item::month_start(spend::item::month_start(last) + time::Duration::days(31))
        } else {
            to
        };
        Ok((from.day() == 1 && to.day() == 1).then_some((from, to)))
    }

    /// Writes line items of a period as FOCUS CSV with the group each share went to
    /// (`x_AllocatedGroup`, `x_AllocationRule`): a split cost is one row per group,
    /// its amounts multiplied by the share, so the rows add up to the bill. Text
    /// cells a spreadsheet would run as formulas are escaped with a leading `'`.
    /// `write` may wait (a slow client): nothing more is read from the database until it
    /// has taken the previous chunk, so an export never queues up in memory.
    pub async fn export_costs<W, Done>(
        &self,
        from: Date,
        to: Date,
        scope: &GroupScope,
        mut write: W,
    ) -> Result<(), StoreError>
    where
        W: FnMut(Vec<u8>) -> Done,
        Done: std::future::Future<Output = std::io::Result<()>>,
    {
        use futures_util::StreamExt;
        use sqlx::postgres::PgPoolCopyExt;
        let filter = match scope {
            GroupScope::All => "TRUE".to_string(),
            GroupScope::Only {
                group_ids,
                unallocated,
            } => {
                // Group ids are Portcullis's own (letters and digits); anything else
                // cannot be one and is left out rather than quoted.
                let ids: Vec<String> = group_ids
                    .iter()
                    .filter(|id| id.bytes().all(|b| b.is_ascii_alphanumeric()))
                    .map(|id| format!("'{id}'"))
                    .collect();
                let listed = if ids.is_empty() {
                    "FALSE".to_string()
                } else {
                    format!("a.group_id IN ({})", ids.join(", "))
                };
                format!("({listed} OR ({unallocated} AND a.group_id IS NULL))")
            }
        };
        let text = |column: &str| {
            format!(
                r"CASE WHEN {column} ~ '^[=@\t\r]' OR {column} ~ '^[+-][^0-9.]' THEN '''' || {column} ELSE {column} END"
            )
        };
        let statement = format!(
            r#"COPY (SELECT
                {az} AS "AvailabilityZone",
                (li.billed_cost * coalesce(a.share, 1)) AS "BilledCost",
                {account} AS "BillingAccountId",
                {account_name} AS "BillingAccountName",
                k.currency AS "BillingCurrency",
                li.billing_period_start AS "BillingPeriodStart",
                k.charge_category AS "ChargeCategory",
                {description} AS "ChargeDescription",
                to_char(li.charge_period_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS "ChargePeriodStart",
                to_char(li.charge_period_end AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS "ChargePeriodEnd",
                (li.effective_cost * coalesce(a.share, 1)) AS "EffectiveCost",
                (li.list_cost * coalesce(a.share, 1)) AS "ListCost",
                li.pricing_quantity AS "PricingQuantity",
                {unit} AS "PricingUnit",
                {provider} AS "ProviderName",
                {region} AS "RegionId",
                {resource} AS "ResourceId",
                {resource_name} AS "ResourceName",
                {category} AS "ServiceCategory",
                {service} AS "ServiceName",
                {sub} AS "SubAccountId",
                {sub_name} AS "SubAccountName",
                k.tags AS "Tags",
                coalesce(g.name, 'Unallocated') AS "x_AllocatedGroup",
                coalesce(a.rule, '') AS "x_AllocationRule"
             FROM cost_line_items li
             JOIN cost_keys k ON k.id = li.key_id
             LEFT JOIN cost_allocations a ON a.key_id = li.key_id
             LEFT JOIN groups g ON g.id = a.group_id
             WHERE li.charge_period_start >= '{from}'::date AND li.charge_period_start < '{to}'::date AND {filter}
             ORDER BY li.charge_period_start, li.key_id)
             TO STDOUT WITH (FORMAT csv, HEADER)"#,
            az = text("k.availability_zone"),
            account = text("k.billing_account_id"),
            account_name = text("li.billing_account_name"),
            description = text("li.charge_description"),
            unit = text("li.pricing_unit"),
            provider = text("k.provider"),
            region = text("k.region_id"),
            resource = text("k.resource_id"),
            resource_name = text("li.resource_name"),
            category = text("li.service_category"),
            service = text("k.service_name"),
            sub = text("k.sub_account_id"),
            sub_name = text("li.sub_account_name"),
        );
        let mut stream = self.pool().copy_out_raw(&statement).await?;
        while let Some(bytes) = stream.next().await {
            let bytes = bytes?;
            write(bytes.to_vec())
                .await
                .map_err(|e| StoreError::Encoding(e.to_string()))?;
        }
        Ok(())
    }

    /// The first and last day with data, if any.
    pub async fn cost_days(&self) -> Result<Option<(Date, Date)>, StoreError> {
        let row = sqlx::query("SELECT min(day) AS first, max(day) AS last FROM cost_daily")
            .fetch_one(self.pool())
            .await?;
        let first: Option<Date> = row.try_get("first")?;
        let last: Option<Date> = row.try_get("last")?;
        Ok(first.zip(last))
    }

    /// A user's billing group: the chosen one, and the one that applies (the chosen
    /// one, or the first group joined).
    pub async fn billing_group(
        &self,
        user_id: &str,
    ) -> Result<(Option<String>, Option<String>), StoreError> {
        let row = sqlx::query(
            "SELECT (SELECT g.name FROM groups g WHERE g.id = u.billing_group_id) AS chosen,
                    (SELECT g.name FROM groups g WHERE g.id = coalesce(u.billing_group_id,
                        (SELECT m.group_id FROM group_members m WHERE m.user_id = u.id ORDER BY m.added_at, m.group_id LIMIT 1))) AS applies
             FROM users u WHERE u.id = $1",
        )
        .bind(user_id)
        .fetch_optional(self.pool())
        .await?;
        match row {
            Some(row) => Ok((row.try_get("chosen")?, row.try_get("applies")?)),
            None => Ok((None, None)),
        }
    }

    /// Sets the group a user's created resources are billed to (`None`: the first
    /// group joined).
    pub async fn set_billing_group(
        &self,
        user_id: &str,
        group_id: Option<&str>,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("UPDATE users SET billing_group_id = $2 WHERE id = $1")
            .bind(user_id)
            .bind(group_id)
            .execute(&mut *tx)
            .await?;
        crate::audit::commit(tx, audit).await
    }
}

/// Sends one block of CSV rows through a `COPY … FROM STDIN`.
async fn copy_in(
    conn: &mut PgConnection,
    statement: &str,
    bytes: Vec<u8>,
) -> Result<(), StoreError> {
    let mut copy = conn.copy_in_raw(statement).await?;
    copy.send(bytes).await?;
    copy.finish().await?;
    Ok(())
}

/// Rows streamed through one CSV `COPY … FROM STDIN`, sent [`CSV_CHUNK`] bytes at a
/// time, so they are never all held at once.
struct CsvCopy<'c> {
    copy: sqlx::postgres::PgCopyIn<&'c mut PgConnection>,
    writer: csv::Writer<Vec<u8>>,
}

/// Bytes of CSV rows per message of a [`CsvCopy`].
const CSV_CHUNK: usize = 1 << 20;

impl<'c> CsvCopy<'c> {
    async fn start(conn: &'c mut PgConnection, statement: &str) -> Result<CsvCopy<'c>, StoreError> {
        Ok(CsvCopy {
            copy: conn.copy_in_raw(statement).await?,
            writer: csv_writer(),
        })
    }

    async fn row<I>(&mut self, fields: I) -> Result<(), StoreError>
    where
        I: IntoIterator,
        I::Item: AsRef<[u8]>,
    {
        self.writer
            .write_record(fields)
            .map_err(|e| StoreError::Encoding(e.to_string()))?;
        if self.writer.get_ref().len() >= CSV_CHUNK {
            self.copy.send(drain(&mut self.writer)?).await?;
        }
        Ok(())
    }

    async fn finish(mut self) -> Result<(), StoreError> {
        self.copy.send(drain(&mut self.writer)?).await?;
        self.copy.finish().await?;
        Ok(())
    }
}

/// Sends binary tuples through one `COPY … WITH (FORMAT binary)`.
async fn copy_in_binary(
    conn: &mut PgConnection,
    statement: &str,
    tuples: Vec<u8>,
) -> Result<(), StoreError> {
    let mut bytes = Vec::with_capacity(pg_binary::HEADER.len() + tuples.len() + 2);
    bytes.extend_from_slice(pg_binary::HEADER);
    bytes.extend_from_slice(&tuples);
    bytes.extend_from_slice(pg_binary::TRAILER);
    copy_in(conn, statement, bytes).await
}

/// Makes the partitions of a billing period (line items, daily and monthly sums) if it
/// is new. Made in the import's transaction, they are written without logging each
/// row when the server runs at wal_level=minimal. Each is made alone and then
/// attached: attaching locks the parent only against other schema changes, where
/// `CREATE TABLE … PARTITION OF` would lock every reader out until the import commits.
async fn create_partition(
    conn: &mut PgConnection,
    period: Date,
) -> Result<Vec<SumsIndex>, StoreError> {
    let period = spend::item::month_start(period);
    let next = period
        .replace_day(28)
        .ok()
        .map(|d| spend::item::month_start(d + time::Duration::days(7)))
        .ok_or_else(|| StoreError::Encoding(format!("no month after {period}")))?;
    let mut unindexed = Vec::new();
    for table in ["cost_line_items", "cost_daily", "cost_key_monthly"] {
        let name = format!("{table}_p{}{:02}", period.year(), u8::from(period.month()));
        let exists: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
            .bind(&name)
            .fetch_one(&mut *conn)
            .await?;
        if exists {
            continue;
        }
        for statement in [
            format!("CREATE TABLE {name} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"),
            format!(
                "ALTER TABLE {table} ATTACH PARTITION {name} FOR VALUES FROM ('{period}') TO ('{next}')"
            ),
        ] {
            sqlx::query(&statement).execute(&mut *conn).await?;
        }
        if let Some((_, suffix, columns)) = SUMS_INDEXES.iter().find(|(t, _, _)| *t == table) {
            unindexed.push(SumsIndex {
                name: format!("{name}_{suffix}"),
                partition: name,
                columns,
            });
        }
    }
    Ok(unindexed)
}

/// The sums tables' index per partition (migration 0032): table, name suffix, columns.
const SUMS_INDEXES: [(&str, &str, &str); 2] = [
    ("cost_daily", "day", "day, key_id"),
    ("cost_key_monthly", "month", "month, key_id"),
];

/// An index of a sums partition an import made, built once its sums are in.
struct SumsIndex {
    name: String,
    partition: String,
    columns: &'static str,
}

impl SumsIndex {
    async fn build(&self, conn: &mut PgConnection) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "CREATE INDEX {} ON {} ({})",
            self.name, self.partition, self.columns
        ))
        .execute(&mut *conn)
        .await?;
        Ok(())
    }
}

/// After the rows and keys are in: the import's (account, period) pairs replace
/// whatever held them, and its daily rollups and summary are written. Returns the
/// earlier imports it replaced entirely or in part.
async fn settle_import(
    conn: &mut PgConnection,
    import_id: i64,
    scopes: &[(String, Date)],
    totals: Option<&ImportTotals>,
) -> Result<Vec<i64>, StoreError> {
    let accounts: Vec<&str> = scopes.iter().map(|(a, _)| a.as_str()).collect();
    let periods: Vec<Date> = scopes.iter().map(|(_, p)| *p).collect();
    sqlx::query(
        "CREATE TEMP TABLE cost_new_scopes ON COMMIT DROP AS
         SELECT * FROM unnest($1::text[], $2::date[]) AS s(billing_account_id, billing_period_start)",
    )
    .bind(&accounts)
    .bind(&periods)
    .execute(&mut *conn)
    .await?;
    let replaced: Vec<i64> = sqlx::query_scalar(
        "SELECT DISTINCT s.import_id FROM cost_import_scopes s
         JOIN cost_new_scopes n USING (billing_account_id, billing_period_start) ORDER BY 1",
    )
    .fetch_all(&mut *conn)
    .await?;
    if !replaced.is_empty() {
        // One period at a time, so only its partition is read.
        let mut by_period: std::collections::BTreeMap<Date, Vec<&str>> = Default::default();
        for (account, period) in scopes {
            by_period.entry(*period).or_default().push(account);
        }
        for (period, accounts) in by_period {
            sqlx::query(
                "DELETE FROM cost_line_items
                 WHERE billing_period_start = $1 AND billing_account_id = ANY($2) AND import_id <> $3",
            )
            .bind(period)
            .bind(&accounts)
            .bind(import_id)
            .execute(&mut *conn)
            .await?;
        }
        for table in ["cost_daily", "cost_key_monthly"] {
            sqlx::query(&format!(
                "DELETE FROM {table} t USING cost_new_scopes n
                 WHERE t.billing_account_id = n.billing_account_id AND t.billing_period_start = n.billing_period_start
                   AND t.import_id <> $1"
            ))
            .bind(import_id)
            .execute(&mut *conn)
            .await?;
        }
    }
    sqlx::query(
        "INSERT INTO cost_import_scopes (billing_account_id, billing_period_start, import_id)
         SELECT billing_account_id, billing_period_start, $1 FROM cost_new_scopes
         ON CONFLICT (billing_account_id, billing_period_start) DO UPDATE SET import_id = EXCLUDED.import_id",
    )
    .bind(import_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE cost_imports SET state = 'replaced', ended_at = now()
         WHERE state = 'active' AND id <> $1 AND NOT EXISTS (SELECT 1 FROM cost_import_scopes s WHERE s.import_id = cost_imports.id)",
    )
    .bind(import_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query(&format!(
        "INSERT INTO cost_keys ({KEY_COLUMNS}) SELECT {KEY_COLUMNS} FROM cost_new_keys ON CONFLICT (id) DO NOTHING"
    ))
    .execute(&mut *conn)
    .await?;
    if totals.is_none() {
        // The reader could not sum exactly: both rollups from the line items.
        for (table, columns, bucket) in [
            (
                "cost_daily",
                DAILY_COLUMNS,
                "(charge_period_start AT TIME ZONE 'UTC')::date",
            ),
            (
                "cost_key_monthly",
                MONTHLY_COLUMNS,
                "date_trunc('month', charge_period_start AT TIME ZONE 'UTC')::date",
            ),
        ] {
            sqlx::query(&format!(
                "INSERT INTO {table} ({columns})
                 SELECT $1, billing_account_id, billing_period_start, {bucket}, key_id,
                     sum(billed_cost), sum(effective_cost), sum(list_cost), count(*)
                 FROM cost_line_items WHERE import_id = $1 AND billing_period_start = ANY($2)
                 GROUP BY 2, 3, 4, 5"
            ))
            .bind(import_id)
            .bind(&periods)
            .execute(&mut *conn)
            .await?;
        }
    }
    match totals {
        // What the reader summed: no pass over the rollups.
        Some(totals) => {
            sqlx::query(
                "UPDATE cost_imports SET line_items = $2, billed_total = $3::numeric, currencies = $4,
                     period_first = $5, period_last = $6
                 WHERE id = $1",
            )
            .bind(import_id)
            .bind(totals.line_items)
            .bind(&totals.billed)
            .bind(&totals.currencies)
            .bind(periods.iter().min())
            .bind(periods.iter().max())
            .execute(&mut *conn)
            .await?;
        }
        None => {
            sqlx::query(
                "UPDATE cost_imports SET
                    line_items = s.n, billed_total = s.total, currencies = s.currencies,
                    period_first = s.first, period_last = s.last
                 FROM (SELECT coalesce(sum(d.line_items), 0) AS n, coalesce(sum(d.billed_cost), 0) AS total,
                              coalesce(string_agg(DISTINCT k.currency, ','), '') AS currencies,
                              min(d.billing_period_start) AS first, max(d.billing_period_start) AS last
                       FROM cost_daily d JOIN cost_keys k ON k.id = d.key_id WHERE d.import_id = $1) s
                 WHERE id = $1",
            )
            .bind(import_id)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(replaced)
}

async fn import_by_id(
    conn: &mut PgConnection,
    id: i64,
    replaced: Vec<i64>,
) -> Result<CostImport, StoreError> {
    let row = sqlx::query(
        "SELECT id, imported_at, imported_by, files, format, line_items, billed_total::text AS billed_total,
                currencies, period_first, period_last, state
         FROM cost_imports WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| StoreError::NotFound {
        what: "import",
        name: format!("#{id}"),
    })?;
    Ok(CostImport {
        id: row.try_get("id")?,
        imported_at: row.try_get("imported_at")?,
        imported_by: row.try_get("imported_by")?,
        files: row.try_get("files")?,
        format: row.try_get("format")?,
        line_items: row.try_get("line_items")?,
        billed_total: row.try_get("billed_total")?,
        currencies: row.try_get("currencies")?,
        period_first: row.try_get("period_first")?,
        period_last: row.try_get("period_last")?,
        state: row.try_get("state")?,
        replaced: replaced.into_iter().filter(|r| *r != id).collect(),
    })
}

/// What allocation reads, as `conn` sees it; the keys through the process's copy.
async fn allocation_inputs(
    conn: &mut PgConnection,
    keys: &crate::cost_keys::KeyCache,
) -> Result<AllocationInputs, StoreError> {
    let rules = sqlx::query("SELECT document::text AS document, version FROM cost_rules")
        .fetch_optional(&mut *conn)
        .await?;
    let (rules, version) = match rules {
        Some(row) => (
            Some(row.try_get::<String, _>("document")?),
            row.try_get("version")?,
        ),
        None => (None, 0),
    };
    let groups = sqlx::query("SELECT id, name FROM groups ORDER BY lower(name)")
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|row| Ok((row.try_get("id")?, row.try_get("name")?)))
        .collect::<Result<Vec<(String, String)>, sqlx::Error>>()?;
    let billing_groups = sqlx::query(
        "SELECT lower(u.name) AS user_name, g.name AS group_name
         FROM users u
         JOIN groups g ON g.id = coalesce(u.billing_group_id,
             (SELECT m.group_id FROM group_members m WHERE m.user_id = u.id ORDER BY m.added_at, m.group_id LIMIT 1))
         WHERE NOT u.is_root",
    )
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|row| Ok((row.try_get("user_name")?, row.try_get("group_name")?)))
    .collect::<Result<HashMap<String, String>, sqlx::Error>>()?;
    Ok(AllocationInputs {
        rules,
        version,
        groups,
        billing_groups,
        keys: keys.keys(conn).await?,
    })
}

/// Rebuilds what dashboards read from the placements: `cost_group_daily` (spend per
/// group and day by the columns rules and dashboards share), per group and day
/// `cost_group_facets_daily` (by zone, creator and each tag key with few values) and
/// its months `cost_group_facets_monthly`, and per group and month
/// `cost_group_resources_monthly`; then refreshes the planner's statistics, which an
/// import or a new rule set changes wholesale. `keys` are the keys with costs, as
/// [`allocation_inputs`] reads them. Says whether the billing data changed since the
/// last rebuild (then the per-key tables' statistics are refreshed where `stats` says).
///
/// Keys are numbered by their share of a group with the rollup's columns, and by
/// their group share alone; the daily sums are added up per number (one pass for the
/// columns, one for the facets) and only those sums are multiplied by the shares.
/// Exactly equal to multiplying each key's sums: a sum of products by one share is
/// the product of the sum, at the same scale.
async fn rebuild_rollups(
    conn: &mut PgConnection,
    keys: &[KeyWithCost],
    placements: &[AllocationRow],
    stats: KeyStats,
) -> Result<bool, StoreError> {
    // Room to sum in hash tables instead of sorting on disk; JIT only costs here.
    for setting in ["SET LOCAL work_mem = '256MB'", "SET LOCAL jit = off"] {
        sqlx::query(setting).execute(&mut *conn).await?;
    }
    for statement in [
        "DELETE FROM cost_group_daily",
        "DELETE FROM cost_group_facets_daily",
        "DELETE FROM cost_group_facets_monthly",
        "DELETE FROM cost_facets",
        // Work tables are unlogged, not temporary: PostgreSQL's parallel workers
        // cannot read temporary tables, and the passes over every key's daily sums
        // below run on all cores only when they may. Dropped before commit (an
        // error rolls their creation back); the allocation lock keeps one at a time.
        "CREATE UNLOGGED TABLE cost_key_shares (
             key_id BIGINT NOT NULL, share_id BIGINT NOT NULL, group_share BIGINT NOT NULL,
             group_id TEXT, rule TEXT, share NUMERIC NOT NULL,
             service_name TEXT NOT NULL, sub_account_id TEXT NOT NULL, region_id TEXT NOT NULL,
             charge_category TEXT NOT NULL, currency TEXT NOT NULL, resource_id TEXT NOT NULL,
             facet_set BIGINT NOT NULL)",
        "CREATE UNLOGGED TABLE cost_facet_sets (
             facet_set BIGINT NOT NULL, group_share BIGINT NOT NULL, facets TEXT[] NOT NULL)",
    ] {
        sqlx::query(statement).execute(&mut *conn).await?;
    }
    let facets = KeyFacets::of(keys);
    sqlx::query(
        "INSERT INTO cost_facets (facet) SELECT unnest($1::text[]) UNION ALL VALUES ('resource')",
    )
    .bind(&facets.names)
    .execute(&mut *conn)
    .await?;
    let mut copy = CsvCopy::start(
        conn,
        "COPY cost_key_shares (key_id, share_id, group_share, group_id, rule, share, service_name,
             sub_account_id, region_id, charge_category, currency, resource_id, facet_set)
         FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL (service_name, sub_account_id, region_id,
             charge_category, currency, resource_id))",
    )
    .await?;
    let mut shares = KeyShares::default();
    let mut key_shares_written = 0usize;
    let mut sorted: Vec<&AllocationRow> = placements.iter().collect();
    sorted.sort_unstable_by_key(|row| row.key_id);
    for ((id, key, _), (_, key_facets)) in keys.iter().zip(&facets.values) {
        let from = sorted.partition_point(|row| row.key_id < *id);
        let to = sorted.partition_point(|row| row.key_id <= *id);
        let placed = sorted.get(from..to).unwrap_or_default();
        let key_shares: Vec<(Option<&str>, Option<&str>, &str)> = if placed.is_empty() {
            // A key no rule placed is Unallocated, whole.
            vec![(None, None, "1")]
        } else {
            placed
                .iter()
                .map(|row| {
                    (
                        row.group_id.as_deref(),
                        row.rule.as_deref(),
                        row.share.as_str(),
                    )
                })
                .collect()
        };
        key_shares_written += key_shares.len();
        for (group, rule, share) in key_shares {
            let (share_id, group_share, facet_set) =
                shares.number(key, key_facets, group, rule, share);
            copy.row([
                id.to_string().as_str(),
                &share_id.to_string(),
                &group_share.to_string(),
                group.unwrap_or(""),
                rule.unwrap_or(""),
                share,
                &key.service_name,
                &key.sub_account_id,
                &key.region_id,
                &key.charge_category,
                &key.currency,
                &key.resource_id,
                &facet_set.to_string(),
            ])
            .await?;
        }
    }
    copy.finish().await?;
    let mut copy = CsvCopy::start(
        conn,
        "COPY cost_facet_sets (facet_set, group_share, facets) FROM STDIN WITH (FORMAT csv)",
    )
    .await?;
    for ((group_share, key_facets), facet_set) in &shares.by_facets {
        copy.row([
            facet_set.to_string().as_str(),
            &group_share.to_string(),
            key_facets,
        ])
        .await?;
    }
    copy.finish().await?;
    for statement in [
        "ANALYZE cost_key_shares (key_id, share_id, group_share, facet_set), cost_facet_sets (facet_set)",
        // The pass over every key's daily sums, as a CREATE TABLE AS: an INSERT
        // would run it on one core.
        "CREATE UNLOGGED TABLE cost_share_daily AS
         SELECT d.day, s.share_id, sum(d.billed_cost) AS billed, sum(d.effective_cost) AS effective
         FROM cost_daily d JOIN cost_key_shares s ON s.key_id = d.key_id
         GROUP BY 1, 2",
        "INSERT INTO cost_group_daily (day, group_id, rule, service_name, sub_account_id, region_id, charge_category,
             currency, billed_cost, effective_cost)
         WITH per_share AS (SELECT * FROM cost_share_daily),
         shares AS (
             SELECT DISTINCT ON (share_id) share_id, group_id, rule, share, service_name, sub_account_id, region_id,
                 charge_category, currency
             FROM cost_key_shares ORDER BY share_id)
         SELECT p.day, s.group_id, s.rule, s.service_name, s.sub_account_id, s.region_id, s.charge_category,
             s.currency, sum(p.billed * s.share), sum(p.effective * s.share)
         FROM per_share p JOIN shares s ON s.share_id = p.share_id
         GROUP BY 1, 2, 3, 4, 5, 6, 7, 8",
    ] {
        sqlx::query(statement).execute(&mut *conn).await?;
    }
    // Each facet set's values unnested (every set has one per name; numbered, never
    // named, in the SQL: tag keys come from billing data) and summed per day and
    // group share, in plain GROUP BYs, which PostgreSQL splits among its parallel
    // workers (grouping sets it cannot), made as CREATE TABLE AS, which may run in
    // parallel. Where many keys share a facet set, the daily sums are first added up
    // per day and set, and only those unnested (10M generated line items: 39 keys a
    // set, 2.9 s against 4.3 s); where few do, the days of a set's keys rarely meet
    // and that pass only adds work (1M: 7 keys a set, 0.9 s against 0.5 s), so every
    // key's day is unnested. Only those sums are multiplied by the shares; the months
    // are the days summed.
    let statements: &[&str] = if shares.by_facets.len() * KEYS_PER_FACET_SET <= key_shares_written {
        &[
            "CREATE UNLOGGED TABLE cost_facet_set_daily AS
             SELECT d.day, s.facet_set, sum(d.billed_cost) AS billed, sum(d.effective_cost) AS effective
             FROM cost_daily d JOIN cost_key_shares s ON s.key_id = d.key_id
             GROUP BY 1, 2",
            "CREATE UNLOGGED TABLE cost_facet_day_sums AS
             SELECT p.day, f.group_share, u.facet, u.value, sum(p.billed) AS billed, sum(p.effective) AS effective
             FROM cost_facet_set_daily p JOIN cost_facet_sets f ON f.facet_set = p.facet_set,
                 unnest(f.facets) WITH ORDINALITY AS u (value, facet)
             GROUP BY 1, 2, 3, 4",
            "DROP TABLE cost_facet_set_daily",
        ]
    } else {
        &["CREATE UNLOGGED TABLE cost_facet_day_sums AS
           SELECT d.day, f.group_share, u.facet, u.value,
               sum(d.billed_cost) AS billed, sum(d.effective_cost) AS effective
           FROM cost_daily d JOIN cost_key_shares s ON s.key_id = d.key_id
               JOIN cost_facet_sets f ON f.facet_set = s.facet_set,
               unnest(f.facets) WITH ORDINALITY AS u (value, facet)
           GROUP BY 1, 2, 3, 4"]
    };
    for statement in statements {
        sqlx::query(statement).execute(&mut *conn).await?;
    }
    sqlx::query(
        "INSERT INTO cost_group_facets_daily (day, group_id, facet, value, billed_cost, effective_cost)
         WITH shares AS (
             SELECT DISTINCT ON (group_share) group_share, group_id, share
             FROM cost_key_shares ORDER BY group_share)
         SELECT p.day, s.group_id, ($1::text[])[p.facet], p.value,
             sum(p.billed * s.share), sum(p.effective * s.share)
         FROM cost_facet_day_sums p JOIN shares s ON s.group_share = p.group_share
         GROUP BY 1, 2, 3, 4",
    )
    .bind(&facets.names)
    .execute(&mut *conn)
    .await?;
    for statement in [
        // `day::timestamp`: date_trunc of a date would go through the session's time zone.
        "INSERT INTO cost_group_facets_monthly (month, group_id, facet, value, billed_cost, effective_cost)
         SELECT date_trunc('month', day::timestamp)::date, group_id, facet, value,
             sum(billed_cost), sum(effective_cost)
         FROM cost_group_facets_daily GROUP BY 1, 2, 3, 4",
    ] {
        sqlx::query(statement).execute(&mut *conn).await?;
    }
    // The rollup that does not depend on the rules, the resources of every group per
    // month (a key's shares add up to exactly 1, so summing its cost over the groups
    // it went to gives its cost), and the statistics of the per-key tables are
    // redone only when the imports that hold billing data changed: a rule change
    // leaves them be.
    let changed = data_changed_since_built(conn).await?;
    let data_changed = changed.is_some();
    if let Some(DataVersion(imports)) = changed {
        sqlx::query("DELETE FROM cost_data_rollups_source")
            .execute(&mut *conn)
            .await?;
        sqlx::query("INSERT INTO cost_data_rollups_source (imports) VALUES ($1)")
            .bind(&imports)
            .execute(&mut *conn)
            .await?;
        if stats == KeyStats::Here {
            analyze_key_tables(conn).await?;
        }
    }
    // Refilled last: readers of these two wait from here to the commit.
    refill(
        conn,
        "cost_group_resources_monthly",
        "INSERT INTO cost_group_resources_monthly (month, group_id, resource_id, billed_cost, effective_cost)
         SELECT m.month, s.group_id, s.resource_id, sum(m.billed_cost * s.share), sum(m.effective_cost * s.share)
         FROM cost_key_monthly m JOIN cost_key_shares s ON s.key_id = m.key_id
         GROUP BY 1, 2, 3",
    )
    .await?;
    if data_changed {
        refill(
            conn,
            "cost_resources_monthly",
            "INSERT INTO cost_resources_monthly (month, resource_id, billed_cost, effective_cost)
             SELECT m.month, k.resource_id, sum(m.billed_cost), sum(m.effective_cost)
             FROM cost_key_monthly m JOIN cost_keys k ON k.id = m.key_id GROUP BY 1, 2",
        )
        .await?;
    }
    sqlx::query(
        "DROP TABLE cost_key_shares, cost_facet_sets, cost_share_daily, cost_facet_day_sums",
    )
    .execute(&mut *conn)
    .await?;
    // The columns queries filter, group or join on; not the amounts, which only
    // PostgreSQL's sums read.
    let rollups = "cost_allocations (key_id, group_id, rule),
         cost_group_daily (day, group_id, rule, service_name, sub_account_id, region_id, charge_category, currency),
         cost_group_facets_daily (day, group_id, facet, value), cost_group_facets_monthly (month, group_id, facet, value),
         cost_group_resources_monthly (month, group_id, resource_id), cost_facets";
    let analyze = if data_changed {
        format!("ANALYZE {rollups}, cost_resources_monthly (month, resource_id)")
    } else {
        format!("ANALYZE {rollups}")
    };
    sqlx::query(&analyze).execute(&mut *conn).await?;
    Ok(data_changed)
}

/// The version of the billing data `conn` sees, if the rollups that do not depend on
/// the rules (and the per-key tables' statistics) were built for another one.
async fn data_changed_since_built(
    conn: &mut PgConnection,
) -> Result<Option<DataVersion>, StoreError> {
    let now = DataVersion::read(conn).await?;
    let built: Option<String> = sqlx::query_scalar("SELECT imports FROM cost_data_rollups_source")
        .fetch_optional(&mut *conn)
        .await?;
    Ok((built.as_deref() != Some(now.0.as_str())).then_some(now))
}

/// Every key's placement as stored.
async fn placements(conn: &mut PgConnection) -> Result<Vec<AllocationRow>, StoreError> {
    let rows =
        sqlx::query("SELECT key_id, group_id, rule, share::text AS share FROM cost_allocations")
            .fetch_all(&mut *conn)
            .await?;
    rows.iter()
        .map(|row| {
            Ok(AllocationRow {
                key_id: row.try_get("key_id")?,
                group_id: row.try_get("group_id")?,
                rule: row.try_get("rule")?,
                share: row.try_get("share")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Where the planner's statistics of the per-key tables are refreshed after new data.
#[derive(Clone, Copy, PartialEq, Eq)]
enum KeyStats {
    /// In the rebuild's transaction, whose changes to the data no one else sees yet.
    Here,
    /// On another connection, beside the rebuild, over committed data: `ANALYZE` then
    /// runs on the core the rebuild's single-threaded statements leave idle.
    Beside,
}

/// Refreshes the statistics of the per-key tables. Only the columns queries filter,
/// group or join on: the amounts and a key's tags (read through jsonb_each_text, which
/// no statistics inform) took half the time, and a partitioned table is analyzed twice
/// (as a whole and per partition).
async fn analyze_key_tables(conn: &mut PgConnection) -> Result<(), StoreError> {
    sqlx::query(
        "ANALYZE cost_keys (id, billing_account_id, sub_account_id, provider, service_name, region_id,
             availability_zone, resource_id, charge_category, currency, created_by),
         cost_daily (import_id, billing_account_id, billing_period_start, day, key_id),
         cost_key_monthly (import_id, billing_account_id, billing_period_start, month, key_id)",
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Empties `table` and fills it with `insert`, building its indexes afterwards:
/// inserting a rollup's rows one by one into a kept index took twice as long as the
/// insert and a sorted build together (at 10M line items, 2.5 s against 1.25 s per
/// table). The indexes are rebuilt from their own definitions, so the migrations
/// stay the one place that says what they are; an index backing a constraint is
/// kept. `TRUNCATE` and `DROP INDEX` hold readers of `table` until the commit, and
/// readers see the old rows until then.
async fn refill(conn: &mut PgConnection, table: &str, insert: &str) -> Result<(), StoreError> {
    let indexes: Vec<(String, String)> = sqlx::query_as(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i
         WHERE i.indrelid = $1::regclass
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
         ORDER BY 1",
    )
    .bind(table)
    .fetch_all(&mut *conn)
    .await?;
    sqlx::query(&format!("TRUNCATE {table}"))
        .execute(&mut *conn)
        .await?;
    for (name, _) in &indexes {
        sqlx::query(&format!("DROP INDEX {name}"))
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query(insert).execute(&mut *conn).await?;
    for (_, definition) in &indexes {
        sqlx::query(definition).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Numbers for the shares keys are placed in: the same number for the same group,
/// rule, share and the columns `cost_group_daily` keeps (`share_id`), for the same
/// group and share (`group_share`), and for the same group share and facet values
/// (`facet_set`). Summing the daily sums per number first and multiplying by the
/// share once per number is what makes the passes short.
#[derive(Default)]
struct KeyShares<'a> {
    #[allow(clippy::type_complexity)]
    by_columns: HashMap<(Option<&'a str>, Option<&'a str>, &'a str, [&'a str; 5]), i64>,
    by_group: HashMap<(Option<&'a str>, &'a str), i64>,
    /// Keyed by the group share and the facet values' array literal.
    by_facets: HashMap<(i64, &'a str), i64>,
}

impl<'a> KeyShares<'a> {
    /// `key`'s share of `group` by `rule`: its `share_id`, `group_share` and
    /// `facet_set` (`facets` is its facet values' array literal). Shares are compared
    /// as written (`0.5` and `0.50` get two numbers), which only splits a sum in two
    /// that the passes add up again.
    fn number(
        &mut self,
        key: &'a spend::CostKey,
        facets: &'a str,
        group: Option<&'a str>,
        rule: Option<&'a str>,
        share: &'a str,
    ) -> (i64, i64, i64) {
        let columns = [
            key.service_name.as_str(),
            &key.sub_account_id,
            &key.region_id,
            &key.charge_category,
            &key.currency,
        ];
        let next = self.by_columns.len() as i64 + 1;
        let share_id = *self
            .by_columns
            .entry((group, rule, share, columns))
            .or_insert(next);
        let next = self.by_group.len() as i64 + 1;
        let group_share = *self.by_group.entry((group, share)).or_insert(next);
        let next = self.by_facets.len() as i64 + 1;
        let facet_set = *self.by_facets.entry((group_share, facets)).or_insert(next);
        (share_id, group_share, facet_set)
    }
}

/// The facets the monthly rollup keeps, and each key's values of them.
struct KeyFacets {
    /// `zone`, `creator`, then `tag:KEY` for each kept tag key: the order of every
    /// key's values.
    names: Vec<String>,
    /// Each key's values, as a PostgreSQL array literal.
    values: Vec<(i64, String)>,
}

/// How many keys (key shares) a facet set must hold on average before the daily sums
/// are added up per set ahead of unnesting its facet values.
const KEYS_PER_FACET_SET: usize = 16;

/// Tag keys with more values are left to the per-key sums.
const MAX_FACET_VALUES: usize = 1_000;

impl KeyFacets {
    /// A key's tag under a normalised key is the first that normalises to it in
    /// PostgreSQL's JSONB order (shorter keys first, then bytewise): the one reports
    /// over the per-key sums read. A tag key with a number, array or object value
    /// anywhere is not kept: its text would have to be PostgreSQL's, not ours.
    fn of(keys: &[KeyWithCost]) -> KeyFacets {
        let mut per_key: Vec<HashMap<String, String>> = Vec::with_capacity(keys.len());
        let mut distinct: HashMap<String, HashSet<String>> = HashMap::new();
        let mut unusable = HashSet::new();
        for (_, key, _) in keys {
            let mut written: Vec<(&String, &serde_json::Value)> = key.tags.iter().collect();
            written.sort_by(|a, b| (a.0.len(), a.0.as_bytes()).cmp(&(b.0.len(), b.0.as_bytes())));
            let mut tags: HashMap<String, String> = HashMap::new();
            for (name, value) in written {
                let name = spend::item::normalise_tag_key(name);
                if tags.contains_key(&name) || unusable.contains(&name) {
                    continue;
                }
                let text = match value {
                    serde_json::Value::String(text) => text.clone(),
                    serde_json::Value::Bool(flag) => flag.to_string(),
                    serde_json::Value::Null => String::new(),
                    _ => {
                        unusable.insert(name);
                        continue;
                    }
                };
                let values = distinct.entry(name.clone()).or_default();
                if values.len() <= MAX_FACET_VALUES {
                    values.insert(text.clone());
                }
                tags.insert(name, text);
            }
            per_key.push(tags);
        }
        let mut kept: Vec<String> = distinct
            .into_iter()
            .filter(|(name, values)| values.len() <= MAX_FACET_VALUES && !unusable.contains(name))
            .map(|(name, _)| name)
            .collect();
        kept.sort();
        let mut names = vec!["zone".to_string(), "creator".to_string()];
        names.extend(kept.iter().map(|name| format!("tag:{name}")));
        let values = keys
            .iter()
            .zip(&per_key)
            .map(|((id, key, _), tags)| {
                let mut row = vec![
                    key.availability_zone.as_str(),
                    key.created_by.as_deref().unwrap_or(""),
                ];
                row.extend(
                    kept.iter()
                        .map(|name| tags.get(name).map(String::as_str).unwrap_or("")),
                );
                (*id, array_literal(&row))
            })
            .collect();
        KeyFacets { names, values }
    }
}

/// A text array as PostgreSQL reads it: every element quoted, `"` and `\` escaped.
fn array_literal(items: &[&str]) -> String {
    let mut out = String::from("{");
    for (n, item) in items.iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        out.push('"');
        for c in item.chars() {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('"');
    }
    out.push('}');
    out
}
