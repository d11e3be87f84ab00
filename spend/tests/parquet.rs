//! Parquet exports read exactly like their CSV twins: the FOCUS sample written as
//! Parquet (exact decimals, timestamps, a tag map) gives the same line items, and a
//! CUR 2.0 Parquet file with `resource_tags` as a map is read as CUR 2.0.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;

use arrow_array::builder::{MapBuilder, StringBuilder};
use arrow_array::{
    Array, ArrayRef, Decimal128Array, Float64Array, RecordBatch, StringArray, TimestampSecondArray,
};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use parquet::arrow::ArrowWriter;
use spend::{FormatChoice, LineItem, Reader};

/// The sample file, found through the directory `cargo test` runs us from (a test
/// binary reused from another checkout must not read that checkout's files).
fn sample() -> std::path::PathBuf {
    std::path::PathBuf::from(
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into()),
    )
    .join("tests/data/focus_sample.csv")
}

fn items(bytes: Vec<u8>, name: &str) -> Vec<LineItem> {
    let mut reader = Reader::open(
        Box::new(std::io::Cursor::new(bytes)),
        name,
        FormatChoice::Auto,
        1_000_000,
    )
    .unwrap();
    let mut out = Vec::new();
    while let Some(item) = reader.next_item().unwrap() {
        out.push(item.unwrap_or_else(|e| panic!("{e}")));
    }
    out
}

fn null(text: &str) -> bool {
    text.trim().is_empty() || text.trim().eq_ignore_ascii_case("null")
}

/// `12.5` at scale 18, exactly.
fn scaled(text: &str, scale: u32) -> i128 {
    let negative = text.starts_with('-');
    let digits = text.trim_start_matches('-');
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let padded: String = fraction
        .chars()
        .chain(std::iter::repeat('0'))
        .take(scale as usize)
        .collect();
    let value =
        whole.parse::<i128>().unwrap() * 10_i128.pow(scale) + padded.parse::<i128>().unwrap_or(0);
    if negative {
        -value
    } else {
        value
    }
}

/// Units of 10⁻¹⁸, to compare amounts written differently.
fn units(amount: &spend::Amount) -> i128 {
    scaled(amount.as_str(), 18)
}

fn parquet_bytes(batch: RecordBatch) -> Vec<u8> {
    let mut out = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut out, batch.schema(), None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
    out
}

#[test]
fn focus_parquet_reads_like_its_csv() {
    let csv_bytes = std::fs::read(sample()).unwrap();
    let expected = items(csv_bytes.clone(), "focus_sample.csv");

    let mut reader = csv::Reader::from_reader(csv_bytes.as_slice());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let mut fields = Vec::new();
    let mut columns: Vec<ArrayRef> = Vec::new();
    for (at, name) in header.iter().enumerate() {
        let cells = || records.iter().map(move |r| r.get(at).unwrap_or_default());
        match name.as_str() {
            "BilledCost" => {
                fields.push(Field::new(name, DataType::Decimal128(38, 18), true));
                let values: Decimal128Array =
                    cells().map(|c| (!null(c)).then(|| scaled(c, 18))).collect();
                columns.push(Arc::new(values.with_precision_and_scale(38, 18).unwrap()));
            }
            "ChargePeriodStart" => {
                fields.push(Field::new(
                    name,
                    DataType::Timestamp(TimeUnit::Second, Some("UTC".into())),
                    true,
                ));
                let values: TimestampSecondArray = cells()
                    .map(|c| spend::item::parse_timestamp(c).map(|t| t.unix_timestamp()))
                    .collect();
                columns.push(Arc::new(values.with_timezone("UTC")));
            }
            "Tags" => {
                let mut builder = MapBuilder::new(None, StringBuilder::new(), StringBuilder::new());
                for cell in cells() {
                    if null(cell) {
                        builder.append(false).unwrap();
                        continue;
                    }
                    let map: serde_json::Map<String, serde_json::Value> =
                        serde_json::from_str(cell).unwrap();
                    for (key, value) in map {
                        builder.keys().append_value(key);
                        match value {
                            serde_json::Value::String(s) => builder.values().append_value(s),
                            other => builder.values().append_value(other.to_string()),
                        }
                    }
                    builder.append(true).unwrap();
                }
                let array = builder.finish();
                fields.push(Field::new(name, array.data_type().clone(), true));
                columns.push(Arc::new(array));
            }
            _ => {
                fields.push(Field::new(name, DataType::Utf8, true));
                let values: StringArray = cells().map(|c| (!null(c)).then_some(c)).collect();
                columns.push(Arc::new(values));
            }
        }
    }
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).unwrap();
    let read = items(parquet_bytes(batch), "focus_sample.parquet");

    assert_eq!(read.len(), expected.len());
    for (got, want) in read.iter().zip(&expected) {
        assert_eq!(units(&got.billed_cost), units(&want.billed_cost));
        assert_eq!(units(&got.effective_cost), units(&want.effective_cost));
        assert_eq!(got.charge_period_start, want.charge_period_start);
        assert_eq!(got.charge_period_end, want.charge_period_end);
        assert_eq!(got.billing_period_start, want.billing_period_start);
        assert_eq!(
            (
                &got.billing_account_id,
                &got.sub_account_id,
                &got.service_name,
                &got.region_id,
                &got.resource_id,
                &got.currency,
                &got.charge_category
            ),
            (
                &want.billing_account_id,
                &want.sub_account_id,
                &want.service_name,
                &want.region_id,
                &want.resource_id,
                &want.currency,
                &want.charge_category
            )
        );
        let text = |tags: &std::collections::BTreeMap<String, serde_json::Value>| -> Vec<(String, String)> {
            tags.iter()
                .map(|(k, v)| (k.clone(), v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())))
                .collect()
        };
        assert_eq!(text(&got.tags), text(&want.tags));
    }
    let total = |items: &[LineItem]| items.iter().map(|i| units(&i.billed_cost)).sum::<i128>();
    assert_eq!(total(&read), total(&expected));
}

#[test]
fn cur2_parquet_with_a_tag_map() {
    let text = |values: &[&str]| -> ArrayRef { Arc::new(StringArray::from(values.to_vec())) };
    let mut tags = MapBuilder::new(None, StringBuilder::new(), StringBuilder::new());
    tags.keys().append_value("user:team");
    tags.values().append_value("vienna");
    tags.append(true).unwrap();
    tags.append(true).unwrap();
    let tags = tags.finish();
    let fields = vec![
        Field::new("bill_payer_account_id", DataType::Utf8, false),
        Field::new(
            "bill_billing_period_start_date",
            DataType::Timestamp(TimeUnit::Millisecond, None),
            false,
        ),
        Field::new("line_item_usage_start_date", DataType::Utf8, false),
        Field::new("line_item_usage_end_date", DataType::Utf8, false),
        Field::new("line_item_unblended_cost", DataType::Float64, false),
        Field::new("line_item_currency_code", DataType::Utf8, false),
        Field::new("product_product_name", DataType::Utf8, true),
        Field::new("line_item_line_item_type", DataType::Utf8, true),
        Field::new("resource_tags", tags.data_type().clone(), true),
        // A column the reader does not use, of a type it cannot read: never decoded.
        Field::new("line_item_blob", DataType::Binary, true),
    ];
    let columns: Vec<ArrayRef> = vec![
        text(&["111122223333", "111122223333"]),
        Arc::new(arrow_array::TimestampMillisecondArray::from(vec![
            1_725_148_800_000,
            1_725_148_800_000,
        ])),
        text(&["2024-09-02T00:00:00Z", "2024-09-03T00:00:00Z"]),
        text(&["2024-09-02T01:00:00Z", "2024-09-03T01:00:00Z"]),
        Arc::new(Float64Array::from(vec![0.125, 0.0000001])),
        text(&["USD", "USD"]),
        text(&[
            "Amazon Elastic Compute Cloud",
            "Amazon Simple Storage Service",
        ]),
        text(&["Usage", "Usage"]),
        Arc::new(tags),
        Arc::new(arrow_array::BinaryArray::from(vec![
            Some(b"x".as_slice()),
            None,
        ])),
    ];
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).unwrap();
    let mut reader = Reader::open(
        Box::new(std::io::Cursor::new(parquet_bytes(batch))),
        "cur2.parquet",
        FormatChoice::Auto,
        100,
    )
    .unwrap();
    assert_eq!(reader.format(), spend::Format::Cur2);
    let first = reader.next_item().unwrap().unwrap().unwrap();
    assert_eq!(first.billed_cost.as_str(), "0.125");
    assert_eq!(first.tags["user:team"], "vienna");
    assert_eq!(
        first.billing_period_start,
        time::macros::date!(2024 - 09 - 01)
    );
    assert_eq!(first.service_name, "Amazon Elastic Compute Cloud");
    let second = reader.next_item().unwrap().unwrap().unwrap();
    assert_eq!(second.billed_cost.as_str(), "0.0000001");
    assert!(second.tags.is_empty());
    assert!(reader.next_item().unwrap().is_none());
}

#[test]
fn a_cut_parquet_file_is_a_file_error() {
    let batch = RecordBatch::try_new(
        Arc::new(Schema::new(vec![Field::new(
            "BilledCost",
            DataType::Utf8,
            false,
        )])),
        vec![Arc::new(StringArray::from(vec!["1"])) as ArrayRef],
    )
    .unwrap();
    let mut bytes = parquet_bytes(batch);
    bytes.truncate(bytes.len() / 2);
    let error = Reader::open(
        Box::new(std::io::Cursor::new(bytes)),
        "cut.parquet",
        FormatChoice::Auto,
        10,
    )
    .unwrap_err();
    assert!(
        error.to_string().contains("cut.parquet: cannot be read"),
        "{error}"
    );
}

/// Parquet cells are checked for spreadsheet formulas like CSV cells: the row is
/// refused with its file, row, column and value, and numbers such as `-0.5` or
/// `+1` written as text are not formulas.
#[test]
fn formula_cells_in_parquet_are_refused_by_row_and_column() {
    let text = |values: &[&str]| -> ArrayRef { Arc::new(StringArray::from(values.to_vec())) };
    let fields = vec![
        Field::new("bill_payer_account_id", DataType::Utf8, false),
        Field::new("bill_billing_period_start_date", DataType::Utf8, false),
        Field::new("line_item_usage_start_date", DataType::Utf8, false),
        Field::new("line_item_usage_end_date", DataType::Utf8, false),
        Field::new("line_item_unblended_cost", DataType::Utf8, false),
        Field::new("line_item_currency_code", DataType::Utf8, false),
        Field::new("product_product_name", DataType::Utf8, true),
    ];
    let columns: Vec<ArrayRef> = vec![
        text(&["111122223333"; 4]),
        text(&["2024-09-01T00:00:00Z"; 4]),
        text(&["2024-09-02T00:00:00Z"; 4]),
        text(&["2024-09-02T01:00:00Z"; 4]),
        text(&["-0.5", "+1", "0.25", "1"]),
        text(&["USD"; 4]),
        text(&[
            "Amazon EC2",
            "Amazon S3",
            "=HYPERLINK(\"http://attacker.example\",\"open\")",
            "@SUM(A1:A9)",
        ]),
    ];
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).unwrap();
    let mut reader = Reader::open(
        Box::new(std::io::Cursor::new(parquet_bytes(batch))),
        "formulas.parquet",
        FormatChoice::Auto,
        100,
    )
    .unwrap();
    let mut outcomes = Vec::new();
    while let Some(item) = reader.next_item().unwrap() {
        outcomes.push(item);
    }
    assert_eq!(outcomes.len(), 4);
    assert_eq!(
        outcomes[0].as_ref().unwrap().billed_cost.as_str(),
        "-0.5",
        "a negative number is not a formula"
    );
    assert!(outcomes[1].is_ok(), "+1 is a number: {:?}", outcomes[1]);
    for (at, value) in [
        (2, "=HYPERLINK(\"http://attacker.example\",\"open\")"),
        (3, "@SUM(A1:A9)"),
    ] {
        let refused = outcomes[at].as_ref().unwrap_err();
        assert_eq!(refused.file, "formulas.parquet");
        assert_eq!(refused.row, at as u64 + 2, "rows count from the header, 1");
        assert_eq!(refused.column, "product_product_name");
        assert_eq!(refused.value, value);
        assert!(refused.rule.contains("formula"), "{}", refused.rule);
    }
}
