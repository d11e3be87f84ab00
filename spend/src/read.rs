//! Readers for FOCUS and AWS Cost and Usage Report exports: CSV or gzip, streamed, or
//! Parquet (see [`crate::columnar`]).
//!
//! The format is told by the header; each row becomes a [`LineItem`] in FOCUS terms
//! (CUR columns mapped as AWS's own FOCUS export maps them) or a [`RowError`] naming
//! the file, row, column, value and rule. Real exports are lenient about spelling:
//! `NULL` for empty, dates with or without `T`/`Z`, mixed enum casing, tags as JSON or
//! as one column per tag; the reader accepts all of them and keeps the original tags.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};

use crate::columnar::ParquetRows;
use crate::item::{
    is_known_currency, month_start, parse_timestamp, trim, Amount, LineItem, TagSet, Tags,
};

/// The layouts Portcullis reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// FinOps FOCUS 1.0–1.2.
    Focus,
    /// Legacy AWS CUR (`lineItem/UnblendedCost`, `resourceTags/user:team`).
    Cur,
    /// AWS CUR 2.0 (`line_item_unblended_cost`, `resource_tags` as a JSON map).
    Cur2,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Focus => "focus",
            Format::Cur => "cur",
            Format::Cur2 => "cur2",
        }
    }
}

/// What the user asked for: a format, or detection from the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatChoice {
    Auto,
    Exactly(Format),
}

impl FormatChoice {
    pub fn parse(text: &str) -> Option<FormatChoice> {
        Some(match text.trim().to_ascii_lowercase().as_str() {
            "auto" | "" => FormatChoice::Auto,
            "focus" => FormatChoice::Exactly(Format::Focus),
            "cur" => FormatChoice::Exactly(Format::Cur),
            "cur2" => FormatChoice::Exactly(Format::Cur2),
            _ => return None,
        })
    }
}

/// A row the file cannot be imported with.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RowError {
    pub file: String,
    /// 1-based line of the data row (the header is line 1).
    pub row: u64,
    pub column: String,
    pub value: String,
    pub rule: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut value: String = self.value.chars().take(60).collect();
        if value.len() < self.value.len() {
            value.push('…');
        }
        write!(
            f,
            "{}, row {}, column {}: {:?} {}",
            self.file, self.row, self.column, value, self.rule
        )
    }
}

/// Why a whole file cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error("{file}: the file is empty")]
    Empty { file: String },
    #[error(
        "{file}: cannot be read ({message}); is it cut short or not a CSV, CSV.gz or Parquet file?"
    )]
    Unreadable { file: String, message: String },
    #[error("{file}: the header matches no known format (FOCUS needs BilledCost, AWS CUR lineItem/UnblendedCost, CUR 2.0 line_item_unblended_cost); it starts with: {found}")]
    UnknownFormat { file: String, found: String },
    #[error("{file}: the header is {detected}, not the {expected} that was asked for")]
    WrongFormat {
        file: String,
        expected: &'static str,
        detected: &'static str,
    },
    #[error("{file}: the {format} header has no {column} column, which is required")]
    MissingColumn {
        file: String,
        format: &'static str,
        column: &'static str,
    },
    #[error("{file}: more than {limit} rows; the import limit is {limit} rows (PORTCULLIS_COST_MAX_ROWS)")]
    TooManyRows { file: String, limit: u64 },
}

/// The FOCUS fields the reader fills, with each format's column for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    BillingAccountId,
    BillingAccountName,
    BillingPeriodStart,
    ChargePeriodStart,
    ChargePeriodEnd,
    ChargeCategory,
    ChargeDescription,
    BilledCost,
    EffectiveCost,
    ListCost,
    Currency,
    Provider,
    ServiceName,
    ServiceCategory,
    RegionId,
    AvailabilityZone,
    SubAccountId,
    SubAccountName,
    ResourceId,
    ResourceName,
    PricingQuantity,
    PricingUnit,
    Tags,
    /// CUR only: the product code, when the product name is empty.
    ProductCode,
}

/// (field, FOCUS column, CUR column, CUR 2.0 column, required).
const COLUMNS: &[(Field, &str, &str, &str, bool)] = &[
    (
        Field::BillingAccountId,
        "BillingAccountId",
        "bill/PayerAccountId",
        "bill_payer_account_id",
        true,
    ),
    (
        Field::BillingAccountName,
        "BillingAccountName",
        "bill/PayerAccountName",
        "bill_payer_account_name",
        false,
    ),
    (
        Field::BillingPeriodStart,
        "BillingPeriodStart",
        "bill/BillingPeriodStartDate",
        "bill_billing_period_start_date",
        true,
    ),
    (
        Field::ChargePeriodStart,
        "ChargePeriodStart",
        "lineItem/UsageStartDate",
        "line_item_usage_start_date",
        true,
    ),
    (
        Field::ChargePeriodEnd,
        "ChargePeriodEnd",
        "lineItem/UsageEndDate",
        "line_item_usage_end_date",
        true,
    ),
    (
        Field::ChargeCategory,
        "ChargeCategory",
        "lineItem/LineItemType",
        "line_item_line_item_type",
        false,
    ),
    (
        Field::ChargeDescription,
        "ChargeDescription",
        "lineItem/LineItemDescription",
        "line_item_line_item_description",
        false,
    ),
    (
        Field::BilledCost,
        "BilledCost",
        "lineItem/UnblendedCost",
        "line_item_unblended_cost",
        true,
    ),
    (
        Field::EffectiveCost,
        "EffectiveCost",
        "lineItem/NetUnblendedCost",
        "line_item_net_unblended_cost",
        false,
    ),
    (
        Field::ListCost,
        "ListCost",
        "pricing/publicOnDemandCost",
        "pricing_public_on_demand_cost",
        false,
    ),
    (
        Field::Currency,
        "BillingCurrency",
        "lineItem/CurrencyCode",
        "line_item_currency_code",
        true,
    ),
    (Field::Provider, "ProviderName", "", "", false),
    (
        Field::ServiceName,
        "ServiceName",
        "product/ProductName",
        "product_product_name",
        false,
    ),
    (
        Field::ServiceCategory,
        "ServiceCategory",
        "product/productFamily",
        "product_product_family",
        false,
    ),
    (
        Field::RegionId,
        "RegionId",
        "product/regionCode",
        "product_region_code",
        false,
    ),
    (
        Field::AvailabilityZone,
        "AvailabilityZone",
        "lineItem/AvailabilityZone",
        "line_item_availability_zone",
        false,
    ),
    (
        Field::SubAccountId,
        "SubAccountId",
        "lineItem/UsageAccountId",
        "line_item_usage_account_id",
        false,
    ),
    (
        Field::SubAccountName,
        "SubAccountName",
        "lineItem/UsageAccountName",
        "line_item_usage_account_name",
        false,
    ),
    (
        Field::ResourceId,
        "ResourceId",
        "lineItem/ResourceId",
        "line_item_resource_id",
        false,
    ),
    (Field::ResourceName, "ResourceName", "", "", false),
    (
        Field::PricingQuantity,
        "PricingQuantity",
        "lineItem/UsageAmount",
        "line_item_usage_amount",
        false,
    ),
    (
        Field::PricingUnit,
        "PricingUnit",
        "pricing/unit",
        "pricing_unit",
        false,
    ),
    (Field::Tags, "Tags", "", "resource_tags", false),
    (
        Field::ProductCode,
        "",
        "lineItem/ProductCode",
        "line_item_product_code",
        false,
    ),
];

/// Where each field sits in this file's rows.
struct Layout {
    /// (position, column name) of each field, indexed by `Field as usize`.
    positions: Vec<Option<(usize, &'static str)>>,
    /// CUR's one column per tag: (position, tag key as written after the prefix).
    tag_columns: Vec<(usize, String)>,
    /// The header as written, for naming columns in errors.
    header: Vec<String>,
    width: usize,
}

impl Layout {
    fn get<'r>(
        &self,
        record: &'r csv::StringRecord,
        field: Field,
    ) -> Option<(&'static str, &'r str)> {
        let (at, name) = (*self.positions.get(field as usize)?)?;
        let value = record.get(at)?;
        if is_null(value) {
            None
        } else {
            Some((name, value))
        }
    }
}

fn is_null(value: &str) -> bool {
    let v = trim(value);
    v.is_empty() || v.eq_ignore_ascii_case("null")
}

fn clean_header(name: &str) -> String {
    name.trim_start_matches('\u{feff}')
        .trim()
        .to_ascii_lowercase()
}

/// Where rows come from: CSV (plain or gzip), streamed, or Parquet.
enum Rows {
    Csv(csv::Reader<Box<dyn Read + Send>>),
    Parquet(Box<ParquetRows>),
}

impl Rows {
    fn read_record(
        &mut self,
        record: &mut csv::StringRecord,
        file: &str,
    ) -> Result<bool, FileError> {
        match self {
            Rows::Csv(csv) => csv.read_record(record).map_err(|e| FileError::Unreadable {
                file: file.to_string(),
                message: e.to_string(),
            }),
            Rows::Parquet(parquet) => parquet.read_record(record),
        }
    }
}

/// Streams one file's rows as line items.
pub struct Reader {
    file: String,
    format: Format,
    rows: Rows,
    layout: Layout,
    record: csv::StringRecord,
    row: u64,
    max_rows: u64,
    /// Tags columns already read, by their text: the rows of one resource repeat it,
    /// and parsing its JSON was a tenth of reading a row. Keyed with the standard
    /// library's seeded hash: the texts come from the file, and a file crafted to
    /// collide under an unseeded one would make every row a long search.
    tags_seen: std::cell::RefCell<std::collections::HashMap<Box<str>, Tags>>,
    /// The one empty set every row without tags shares.
    no_tags: Tags,
}

/// Tags texts remembered at most; past it the memory starts over.
const TAGS_SEEN: usize = 4_096;

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader")
            .field("file", &self.file)
            .field("format", &self.format)
            .field("row", &self.row)
            .finish()
    }
}

impl Reader {
    /// Opens a CSV, gzip-compressed CSV or Parquet file (told by its first bytes) and
    /// reads its header. `file` names it in errors.
    pub fn open(
        source: Box<dyn Read + Send>,
        file: &str,
        choice: FormatChoice,
        max_rows: u64,
    ) -> Result<Reader, FileError> {
        let unreadable = |e: &dyn std::fmt::Display| FileError::Unreadable {
            file: file.to_string(),
            message: e.to_string(),
        };
        let mut buffered = BufReader::with_capacity(1 << 16, source);
        let head = buffered.fill_buf().map_err(|e| unreadable(&e))?;
        if head.is_empty() {
            return Err(FileError::Empty {
                file: file.to_string(),
            });
        }
        let (header, mut rows) = if head.starts_with(crate::columnar::MAGIC) {
            let mut all = Vec::new();
            buffered.read_to_end(&mut all).map_err(|e| unreadable(&e))?;
            let (header, parquet) = ParquetRows::open(all, file)?;
            (header, Rows::Parquet(Box::new(parquet)))
        } else {
            let gzip = head.starts_with(&[0x1f, 0x8b]);
            let bytes: Box<dyn Read + Send> = if gzip {
                Box::new(flate2::read::MultiGzDecoder::new(buffered))
            } else {
                Box::new(buffered)
            };
            let mut csv = csv::ReaderBuilder::new()
                .flexible(true)
                .has_headers(true)
                .buffer_capacity(1 << 16)
                .from_reader(bytes);
            let header: Vec<String> = csv
                .headers()
                .map_err(|e| unreadable(&e))?
                .iter()
                .map(|h| h.to_string())
                .collect();
            (header, Rows::Csv(csv))
        };
        if header.iter().all(|h| h.trim().is_empty()) {
            return Err(FileError::Empty {
                file: file.to_string(),
            });
        }
        let lower: Vec<String> = header.iter().map(|h| clean_header(h)).collect();
        let has = |name: &str| lower.iter().any(|h| *h == name.to_ascii_lowercase());
        let detected = if has("BilledCost") {
            Format::Focus
        } else if has("lineItem/UnblendedCost") {
            Format::Cur
        } else if has("line_item_unblended_cost") {
            Format::Cur2
        } else {
            let found: Vec<&str> = header.iter().take(6).map(|h| h.trim()).collect();
            return Err(FileError::UnknownFormat {
                file: file.to_string(),
                found: found.join(", "),
            });
        };
        if let FormatChoice::Exactly(expected) = choice {
            if expected != detected {
                return Err(FileError::WrongFormat {
                    file: file.to_string(),
                    expected: expected.as_str(),
                    detected: detected.as_str(),
                });
            }
        }
        let mut positions = vec![None; COLUMNS.len()];
        for &(field, focus, cur, cur2, required) in COLUMNS {
            let name = match detected {
                Format::Focus => focus,
                Format::Cur => cur,
                Format::Cur2 => cur2,
            };
            let found = (!name.is_empty())
                .then(|| lower.iter().position(|h| *h == name.to_ascii_lowercase()))
                .flatten();
            // CUR writes the region as `product/region` in older exports.
            let found = found.or_else(|| match (field, detected) {
                (Field::RegionId, Format::Cur) => lower.iter().position(|h| h == "product/region"),
                (Field::RegionId, Format::Cur2) => lower.iter().position(|h| h == "product_region"),
                _ => None,
            });
            match found {
                Some(at) => {
                    if let Some(slot) = positions.get_mut(field as usize) {
                        *slot = Some((at, name));
                    }
                }
                None if required => {
                    return Err(FileError::MissingColumn {
                        file: file.to_string(),
                        format: detected.as_str(),
                        column: name,
                    })
                }
                None => {}
            }
        }
        let tag_columns = header
            .iter()
            .enumerate()
            .filter_map(|(at, h)| {
                let h = h.trim_start_matches('\u{feff}');
                let key = match detected {
                    Format::Cur => h.strip_prefix("resourceTags/"),
                    Format::Cur2 => h.strip_prefix("resource_tags_"),
                    Format::Focus => None,
                }?;
                Some((at, key.to_string()))
            })
            .collect::<Vec<(usize, String)>>();
        if let Rows::Parquet(parquet) = &mut rows {
            let used = positions
                .iter()
                .flatten()
                .map(|(at, _)| *at)
                .chain(tag_columns.iter().map(|(at, _)| *at))
                .collect();
            parquet.select(used)?;
        }
        Ok(Reader {
            file: file.to_string(),
            format: detected,
            rows,
            layout: Layout {
                positions,
                tag_columns,
                width: header.len(),
                header,
            },
            record: csv::StringRecord::new(),
            row: 1,
            max_rows,
            tags_seen: Default::default(),
            no_tags: Tags::default(),
        })
    }

    pub fn format(&self) -> Format {
        self.format
    }

    pub fn file(&self) -> &str {
        &self.file
    }

    /// Data rows read so far.
    pub fn rows(&self) -> u64 {
        self.row.saturating_sub(1)
    }

    /// The next row: `Ok(None)` at the end, a [`RowError`] for a row that breaks a
    /// rule (reading can go on), a [`FileError`] when the file itself fails.
    pub fn next_item(&mut self) -> Result<Option<Result<LineItem, RowError>>, FileError> {
        let mut item = LineItem::unfilled();
        Ok(self
            .next_item_into(&mut item)?
            .map(|read| read.map(|()| item)))
    }

    /// [`Reader::next_item`] into `item`, whose strings' memory is reused (an import
    /// reads millions of rows, each of some twenty strings). A refused row leaves
    /// `item` holding no row.
    pub fn next_item_into(
        &mut self,
        item: &mut LineItem,
    ) -> Result<Option<Result<(), RowError>>, FileError> {
        let more = self.rows.read_record(&mut self.record, &self.file)?;
        if !more {
            return Ok(None);
        }
        self.row += 1;
        if self.rows() > self.max_rows {
            return Err(FileError::TooManyRows {
                file: self.file.clone(),
                limit: self.max_rows,
            });
        }
        Ok(Some(self.fill(item)))
    }

    fn fail(&self, column: &str, value: &str, rule: impl Into<String>) -> RowError {
        RowError {
            file: self.file.clone(),
            row: self.row,
            column: column.to_string(),
            value: value.to_string(),
            rule: rule.into(),
        }
    }

    /// Reads the current record into `item` in place (moving a line item costs more
    /// than filling it). Every field is written: the pattern below names each one,
    /// and a field bound but not written is an unused variable, which the build
    /// refuses, so no field can keep an earlier row's value.
    fn fill(&self, item: &mut LineItem) -> Result<(), RowError> {
        let LineItem {
            billing_account_id,
            billing_account_name,
            billing_period_start,
            charge_period_start,
            charge_period_end,
            charge_category,
            charge_description,
            billed_cost,
            effective_cost,
            list_cost,
            currency,
            provider,
            service_name,
            service_category,
            region_id,
            availability_zone,
            sub_account_id,
            sub_account_name,
            resource_id,
            resource_name,
            pricing_quantity,
            pricing_unit,
            tags,
        } = item;
        let record = &self.record;
        let layout = &self.layout;
        if record.len() != layout.width {
            return Err(self.fail(
                "(row)",
                &format!("{} fields", record.len()),
                format!(
                    "has {} fields where the header has {}",
                    record.len(),
                    layout.width
                ),
            ));
        }
        // One scan of the whole record for NUL (memchr), fields only when it holds one.
        let holds_nul = record.as_slice().as_bytes().contains(&0);
        for (at, value) in record.iter().enumerate() {
            if looks_like_formula(value) {
                let column = self.column_name(at);
                return Err(self.fail(&column, value, "looks like a spreadsheet formula; billing exports never hold formulas, so the file is refused"));
            }
            if holds_nul && value.as_bytes().contains(&0) {
                let column = self.column_name(at);
                return Err(self.fail(&column, &value.replace('\0', "\\0"), NUL_RULE));
            }
        }
        let text = |field: Field| -> &str {
            layout
                .get(record, field)
                .map(|(_, v)| trim(v))
                .unwrap_or_default()
        };
        let required = |field: Field| -> Result<(&'static str, &str), RowError> {
            layout.get(record, field).ok_or_else(|| {
                let name = COLUMNS
                    .iter()
                    .find(|c| c.0 == field)
                    .map(|c| match self.format {
                        Format::Focus => c.1,
                        Format::Cur => c.2,
                        Format::Cur2 => c.3,
                    })
                    .unwrap_or("?");
                self.fail(name, "", "is required and empty")
            })
        };
        let amount = |field: Field, into: &mut Amount| -> Result<bool, RowError> {
            match layout.get(record, field) {
                None => Ok(false),
                Some((column, value)) => {
                    if into.parse_into(value) {
                        Ok(true)
                    } else {
                        Err(self.fail(column, value, "is not a decimal number"))
                    }
                }
            }
        };
        let timestamp = |field: Field| -> Result<time::OffsetDateTime, RowError> {
            let (column, value) = required(field)?;
            parse_timestamp(value).ok_or_else(|| {
                self.fail(
                    column,
                    value,
                    "is not a date-time (expected 2024-09-01T00:00:00Z or 2024-09-01 00:00:00)",
                )
            })
        };

        let account = trim(required(Field::BillingAccountId)?.1);
        set(billing_account_id, account);
        let period = timestamp(Field::BillingPeriodStart)?;
        *billing_period_start = month_start(period.date());
        *charge_period_start = timestamp(Field::ChargePeriodStart)?;
        *charge_period_end = timestamp(Field::ChargePeriodEnd)?;
        if *charge_period_end < *charge_period_start {
            let (column, value) = required(Field::ChargePeriodEnd)?;
            return Err(self.fail(column, value, "is before ChargePeriodStart"));
        }
        let (billed_column, _) = required(Field::BilledCost)?;
        if !amount(Field::BilledCost, billed_cost)? {
            billed_cost.set_zero();
        }
        if !amount(Field::EffectiveCost, effective_cost)? {
            effective_cost.set_to(billed_cost);
        }
        if !amount(Field::ListCost, list_cost)? {
            list_cost.set_to(billed_cost);
        }
        let quantity = pricing_quantity.get_or_insert_with(Amount::zero);
        if !amount(Field::PricingQuantity, quantity)? {
            *pricing_quantity = None;
        }
        if let Some(quantity) = pricing_quantity {
            if quantity.is_negative() && !billed_cost.is_negative() && !billed_cost.is_zero() {
                let (column, value) = layout
                    .get(record, Field::PricingQuantity)
                    .unwrap_or(("PricingQuantity", ""));
                return Err(self.fail(
                    column,
                    value,
                    format!("is negative while {billed_column} is positive; a negative quantity is a correction and must come with a negative cost"),
                ));
            }
        }
        let (currency_column, currency_value) = required(Field::Currency)?;
        set(currency, currency_value.trim());
        currency.make_ascii_uppercase();
        if !is_known_currency(currency) {
            return Err(self.fail(
                currency_column,
                currency_value,
                "is not an ISO 4217 currency code",
            ));
        }
        let category = match self.format {
            Format::Focus => {
                let raw = text(Field::ChargeCategory);
                match focus_charge_category(raw) {
                    Some(c) => c,
                    None => return Err(self.fail(
                        "ChargeCategory",
                        raw,
                        "is not a FOCUS charge category (Usage, Purchase, Tax, Credit, Adjustment)",
                    )),
                }
            }
            Format::Cur | Format::Cur2 => cur_charge_category(text(Field::ChargeCategory)),
        };
        set(charge_category, category);
        set(
            service_name,
            match text(Field::ServiceName) {
                "" => text(Field::ProductCode),
                name => name,
            },
        );
        set(
            provider,
            match self.format {
                Format::Focus => text(Field::Provider),
                Format::Cur | Format::Cur2 => "AWS",
            },
        );
        *tags = self.tags()?;
        set(
            sub_account_id,
            match text(Field::SubAccountId) {
                "" => account,
                s => s,
            },
        );
        set(billing_account_name, text(Field::BillingAccountName));
        set(charge_description, text(Field::ChargeDescription));
        set(service_category, text(Field::ServiceCategory));
        set(region_id, text(Field::RegionId));
        set(availability_zone, text(Field::AvailabilityZone));
        set(sub_account_name, text(Field::SubAccountName));
        set(resource_id, text(Field::ResourceId));
        set(resource_name, text(Field::ResourceName));
        set(pricing_unit, text(Field::PricingUnit));
        Ok(())
    }

    fn column_name(&self, at: usize) -> String {
        self.layout
            .header
            .get(at)
            .map(|h| h.trim().to_string())
            .unwrap_or_else(|| format!("column {}", at + 1))
    }

    fn tags(&self) -> Result<Tags, RowError> {
        let written = self.layout.get(&self.record, Field::Tags);
        // CUR's tag columns differ row by row: only a Tags column alone is remembered.
        let alone = self.layout.tag_columns.is_empty();
        if alone {
            match written {
                None => return Ok(self.no_tags.clone()),
                Some((_, value)) => {
                    if let Some(tags) = self.tags_seen.borrow().get(value) {
                        return Ok(tags.clone());
                    }
                }
            }
        }
        let mut tags = BTreeMap::new();
        if let Some((column, value)) = written {
            let parsed: serde_json::Value = serde_json::from_str(value)
                .map_err(|_| self.fail(column, value, "is not a JSON object of tags"))?;
            if holds_nul(&parsed) {
                return Err(self.fail(column, value, NUL_RULE));
            }
            match parsed {
                // serde_json's map is a BTreeMap: collected in its order (one bulk build).
                serde_json::Value::Object(map) => tags = map.into_iter().collect(),
                serde_json::Value::Null => {}
                _ => return Err(self.fail(column, value, "is not a JSON object of tags")),
            }
        }
        for (at, key) in &self.layout.tag_columns {
            if let Some(value) = self.record.get(*at).filter(|v| !is_null(v)) {
                tags.insert(key.clone(), serde_json::Value::String(value.to_string()));
            }
        }
        let tags = Tags::new(TagSet::new(tags));
        if let (true, Some((_, value))) = (alone, written) {
            let mut seen = self.tags_seen.borrow_mut();
            if seen.len() >= TAGS_SEEN {
                seen.clear();
            }
            seen.insert(value.into(), tags.clone());
        }
        Ok(tags)
    }
}

/// Writes `value` over `field`, in its memory.
fn set(field: &mut String, value: &str) {
    field.clear();
    field.push_str(value);
}

/// Why a value with a NUL character is refused (PostgreSQL text cannot hold one).
const NUL_RULE: &str =
    "holds a NUL character (byte 0, or \\u0000 in JSON), which PostgreSQL cannot store in text";

/// Whether a parsed tags value has a NUL character in a key or a string anywhere.
fn holds_nul(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::String(text) => text.contains('\0'),
        serde_json::Value::Array(items) => items.iter().any(holds_nul),
        serde_json::Value::Object(map) => map
            .iter()
            .any(|(key, value)| key.contains('\0') || holds_nul(value)),
        _ => false,
    }
}

/// FOCUS values, whatever their casing in the file.
fn focus_charge_category(raw: &str) -> Option<&'static str> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Some("Usage");
    }
    ["Usage", "Purchase", "Tax", "Credit", "Adjustment"]
        .into_iter()
        .find(|category| category.eq_ignore_ascii_case(raw))
}

/// CUR's line item types as AWS's FOCUS export files them.
fn cur_charge_category(line_item_type: &str) -> &'static str {
    match line_item_type.trim() {
        "Usage" | "DiscountedUsage" | "SavingsPlanCoveredUsage" | "" => "Usage",
        "Tax" => "Tax",
        "Credit"
        | "Refund"
        | "BundledDiscount"
        | "Discount"
        | "EdpDiscount"
        | "PrivateRateDiscount"
        | "SavingsPlanNegation" => "Credit",
        "Fee" | "RIFee" | "SavingsPlanRecurringFee" | "SavingsPlanUpfrontFee" => "Purchase",
        _ => "Adjustment",
    }
}

/// A cell a spreadsheet would run as a formula. Numbers such as `-0.5` and `+1` are
/// not formulas.
pub fn looks_like_formula(value: &str) -> bool {
    let mut chars = value.chars();
    match chars.next() {
        Some('=') | Some('@') | Some('\t') | Some('\r') => true,
        Some('+') | Some('-') => match chars.next() {
            Some(c) => !(c.is_ascii_digit() || c == '.'),
            None => false,
        },
        _ => false,
    }
}

/// Escapes a cell for CSV exports that spreadsheets will open.
pub fn escape_formula(value: &str) -> std::borrow::Cow<'_, str> {
    if looks_like_formula(value) {
        std::borrow::Cow::Owned(format!("'{value}"))
    } else {
        std::borrow::Cow::Borrowed(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_has_one_column_entry() {
        for (at, column) in COLUMNS.iter().enumerate() {
            assert_eq!(column.0 as usize, at, "{:?}", column.0);
        }
    }

    fn read(text: &str) -> Result<Vec<Result<LineItem, RowError>>, FileError> {
        let mut reader = Reader::open(
            Box::new(std::io::Cursor::new(text.as_bytes().to_vec())),
            "t.csv",
            FormatChoice::Auto,
            1_000,
        )?;
        let mut out = Vec::new();
        while let Some(item) = reader.next_item()? {
            out.push(item);
        }
        Ok(out)
    }

    /// Every row read into one reused item, refused ones among them, is the row read
    /// fresh: no field keeps an earlier row's value.
    #[test]
    fn rows_read_into_one_item_are_the_rows_read_fresh() {
        let sample = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/focus_sample.csv"
        ))
        .unwrap();
        let mut lines = sample.lines();
        let header = lines.next().unwrap();
        let width = header.split(',').count();
        // A refused row after every seventh: a wrong field count.
        let mut text = format!("{header}\n");
        for (n, line) in lines.enumerate() {
            text.push_str(line);
            text.push('\n');
            if n % 7 == 6 {
                text.push_str(&",".repeat(width));
                text.push('\n');
            }
        }
        let open = || {
            Reader::open(
                Box::new(std::io::Cursor::new(text.as_bytes().to_vec())),
                "s.csv",
                FormatChoice::Auto,
                10_000,
            )
            .unwrap()
        };
        let (mut fresh, mut reused) = (open(), open());
        let mut item = LineItem::unfilled();
        let (mut good, mut refused) = (0, 0);
        while let Some(expected) = fresh.next_item().unwrap() {
            let read = reused.next_item_into(&mut item).unwrap().unwrap();
            match expected {
                Ok(expected) => {
                    read.unwrap();
                    assert_eq!(item, expected, "row {}", fresh.rows());
                    good += 1;
                }
                Err(expected) => {
                    assert_eq!(read.unwrap_err(), expected);
                    refused += 1;
                }
            }
        }
        assert!(reused.next_item_into(&mut item).unwrap().is_none());
        assert_eq!((good, refused), (1_000, 142));
    }

    const FOCUS_HEADER: &str = "BilledCost,BillingAccountId,BillingCurrency,BillingPeriodStart,ChargePeriodStart,ChargePeriodEnd,ChargeCategory,ServiceName,PricingQuantity,Tags,ResourceName\n";

    #[test]
    fn focus_rows_with_real_export_spellings() {
        let items = read(&format!(
            "{FOCUS_HEADER}0.5,111,usd,2024-09-01 00:00:00,2024-09-02T00:00:00Z,2024-09-02T01:00:00Z,usage,EC2,1,\"{{\"\" team\"\": \"\"a\"\", \"\"on\"\": true}}\",NULL\n"
        ))
        .unwrap();
        let item = items[0].as_ref().unwrap();
        assert_eq!(item.currency, "USD");
        assert_eq!(item.charge_category, "Usage");
        assert_eq!(item.tags.get(" team"), Some(&serde_json::json!("a")));
        assert_eq!(item.resource_name, "");
    }

    #[test]
    fn refusals_name_row_column_and_rule() {
        let rows = read(&format!(
            "{FOCUS_HEADER}abc,111,USD,2024-09-01,2024-09-02,2024-09-02,Usage,EC2,1,NULL,x\n1,111,XYZ,2024-09-01,2024-09-02,2024-09-02,Usage,EC2,1,NULL,x\n1,111,USD,2024-09-01,2024-09-02,2024-09-02,Usage,EC2,-3,NULL,x\n1,111,USD,2024-09-01,2024-09-02,2024-09-02,Usage,EC2,1,NULL,=HYPERLINK(1)\n1,111\n"
        ))
        .unwrap();
        let errors: Vec<RowError> = rows.into_iter().map(|r| r.unwrap_err()).collect();
        assert_eq!(
            (errors[0].row, errors[0].column.as_str()),
            (2, "BilledCost")
        );
        assert_eq!(errors[1].column, "BillingCurrency");
        assert!(errors[2].rule.contains("negative"), "{}", errors[2].rule);
        assert!(errors[3].rule.contains("formula"));
        assert!(errors[4].rule.contains("fields"));
    }

    #[test]
    fn nul_characters_are_refused_where_they_stand() {
        let rows = read(&format!(
            "{FOCUS_HEADER}1,111,USD,2024-09-01,2024-09-02,2024-09-02,Usage,EC2,1,NULL,a\0b\n1,111,USD,2024-09-01,2024-09-02,2024-09-02,Usage,EC2,1,\"{{\"\"team\"\": \"\"x\\u0000\"\"}}\",x\n1,111,USD,2024-09-01,2024-09-02,2024-09-02,Usage,EC2,1,\"{{\"\"te\\u0000am\"\": [1, \"\"x\"\"]}}\",x\n1,111,USD,2024-09-01,2024-09-02,2024-09-02,Usage,EC2,1,\"{{\"\"team\"\": \"\"\\\\u0000\"\"}}\",x\n"
        ))
        .unwrap();
        let errors: Vec<RowError> = rows[..3].iter().map(|r| r.clone().unwrap_err()).collect();
        assert_eq!(
            (errors[0].column.as_str(), errors[0].value.as_str()),
            ("ResourceName", "a\\0b")
        );
        assert_eq!(errors[1].column, "Tags");
        assert_eq!(errors[2].column, "Tags");
        assert!(errors.iter().all(|e| e.rule.contains("NUL")), "{errors:?}");
        // An escaped backslash before `u0000` is text, not a NUL.
        let item = rows[3].as_ref().unwrap();
        assert_eq!(item.tags.get("team"), Some(&serde_json::json!("\\u0000")));
    }

    #[test]
    fn rows_with_one_tags_text_share_one_map_and_bad_tags_are_refused_each_time() {
        let row = |tags: &str| {
            format!("1,111,USD,2024-09-01,2024-09-02,2024-09-02,Usage,EC2,1,{tags},x\n")
        };
        let team_a = "\"{\"\"team\"\": \"\"a\"\"}\"";
        let team_b = "\"{\"\"team\"\": \"\"b\"\"}\"";
        // The same tags with other spacing: another text, equal tags.
        let team_a_spaced = "\"{ \"\"team\"\" : \"\"a\"\" }\"";
        let bad = "\"{\"\"team\"\": \"\"x\\u0000\"\"}\"";
        let rows = read(&format!(
            "{FOCUS_HEADER}{}{}{}{}{}{}{}{}",
            row(team_a),
            row(bad),
            row(team_b),
            row(team_a),
            row(bad),
            row(team_a_spaced),
            row("NULL"),
            row("")
        ))
        .unwrap();
        let tags: Vec<Option<&crate::item::Tags>> = rows
            .iter()
            .map(|r| r.as_ref().ok().map(|i| &i.tags))
            .collect();
        let (a, b, again, spaced) = (
            tags[0].unwrap(),
            tags[2].unwrap(),
            tags[3].unwrap(),
            tags[5].unwrap(),
        );
        assert!(std::sync::Arc::ptr_eq(a, again), "one text, one map");
        assert!(!std::sync::Arc::ptr_eq(a, b));
        assert_eq!(a.get("team"), Some(&serde_json::json!("a")));
        assert_eq!(b.get("team"), Some(&serde_json::json!("b")));
        assert_eq!(again.get("team"), Some(&serde_json::json!("a")));
        assert_eq!(**spaced, **a);
        // Another spelling of the same tags is the same cost key: the same JSON.
        assert!(!std::sync::Arc::ptr_eq(a, spaced));
        assert_eq!(spaced.json(), a.json());
        assert_eq!(a.json(), r#"{"team":"a"}"#);
        // A refused text is refused again, never remembered as good.
        for at in [1, 4] {
            let error = rows[at].as_ref().unwrap_err();
            assert_eq!((error.row, error.column.as_str()), (at as u64 + 2, "Tags"));
        }
        assert!(tags[6].unwrap().is_empty() && tags[7].unwrap().is_empty());
    }

    #[test]
    fn header_decides_the_format() {
        assert!(matches!(
            read("a,b\n1,2\n"),
            Err(FileError::UnknownFormat { .. })
        ));
        assert!(matches!(read(""), Err(FileError::Empty { .. })));
        assert!(matches!(
            read("BilledCost,BillingAccountId\n1,2\n"),
            Err(FileError::MissingColumn {
                column: "BillingPeriodStart",
                ..
            })
        ));
    }

    #[test]
    fn cur_columns_map_to_focus() {
        let rows = read("bill/PayerAccountId,bill/BillingPeriodStartDate,lineItem/UsageAccountId,lineItem/LineItemType,lineItem/UsageStartDate,lineItem/UsageEndDate,lineItem/ProductCode,product/ProductName,product/region,lineItem/UnblendedCost,lineItem/CurrencyCode,resourceTags/user:team,resourceTags/aws:createdBy\n111,2024-09-01T00:00:00Z,222,Tax,2024-09-03T00:00:00Z,2024-09-04T00:00:00Z,AmazonEC2,,us-east-1,2.5,USD,web,IAMUser:AIDA:alice\n").unwrap();
        let item = rows[0].as_ref().unwrap();
        assert_eq!(item.sub_account_id, "222");
        assert_eq!(item.charge_category, "Tax");
        assert_eq!(item.service_name, "AmazonEC2");
        assert_eq!(item.region_id, "us-east-1");
        assert_eq!(item.provider, "AWS");
        assert_eq!(item.tags.get("user:team"), Some(&serde_json::json!("web")));
        assert_eq!(item.created_by().as_deref(), Some("IAMUser:AIDA:alice"));
    }

    #[test]
    fn gzip_cut_short_is_a_file_error() {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let mut text = FOCUS_HEADER.to_string();
        for _ in 0..2000 {
            text.push_str("1,111,USD,2024-09-01,2024-09-02,2024-09-02,Usage,EC2,1,NULL,x\n");
        }
        gz.write_all(text.as_bytes()).unwrap();
        let mut bytes = gz.finish().unwrap();
        bytes.truncate(bytes.len() / 2);
        let mut reader = Reader::open(
            Box::new(std::io::Cursor::new(bytes)),
            "t.csv.gz",
            FormatChoice::Auto,
            1_000_000,
        )
        .unwrap();
        let outcome = loop {
            match reader.next_item() {
                Ok(Some(_)) => continue,
                other => break other,
            }
        };
        assert!(
            matches!(outcome, Err(FileError::Unreadable { .. })),
            "{outcome:?}"
        );
    }

    #[test]
    fn formulas_but_not_numbers() {
        for f in ["=1+1", "@SUM(A1)", "+A1", "-cmd", "\tx"] {
            assert!(looks_like_formula(f), "{f}");
        }
        for n in ["-0.5", "+1", "-", "a=b", ""] {
            assert!(!looks_like_formula(n), "{n}");
        }
        assert_eq!(escape_formula("=1"), "'=1");
    }
}
