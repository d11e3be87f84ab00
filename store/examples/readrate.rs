//! How fast one core turns a billing file into what an import sends PostgreSQL,
//! without PostgreSQL: `cargo run --release -p store --example readrate FILE`.
//! Prints rows/s for parsing alone and for parsing plus encoding (COPY rows, keys,
//! exact daily sums), side by side in one run.

use std::time::Instant;

fn main() {
    let path = std::env::args().nth(1).expect("usage: readrate FILE");
    let open = || {
        let file = std::fs::File::open(&path).expect("the file opens");
        spend::Reader::open(Box::new(file), &path, spend::FormatChoice::Auto, u64::MAX)
            .expect("a billing file")
    };

    let started = Instant::now();
    let mut reader = open();
    let mut rows = 0u64;
    while let Some(item) = reader.next_item().expect("readable") {
        item.expect("a good row");
        rows += 1;
    }
    let parse = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let mut reader = open();
    let mut writer = store::costs::LineItemWriter::new(1, 500_000);
    let mut bytes = 0usize;
    while let Some(item) = reader.next_item().expect("readable") {
        writer.push(&item.expect("a good row")).expect("encodes");
        if writer.len() >= 1 << 20 {
            bytes += writer.take().expect("encodes").len();
        }
        if writer.keys_len() >= 1 << 20 {
            bytes += writer.take_keys().expect("encodes").len();
        }
        if writer.daily_is_full() {
            bytes += writer.take_daily().expect("encodes").len();
        }
    }
    bytes += writer.take().expect("encodes").len();
    bytes += writer.take_daily().expect("encodes").len();
    bytes += writer.take_keys().expect("encodes").len();
    let encode = started.elapsed().as_secs_f64();

    println!(
        "{rows} rows: parse {:.0} rows/s ({parse:.2} s); parse + encode {:.0} rows/s ({encode:.2} s, {} MB to COPY)",
        rows as f64 / parse,
        rows as f64 / encode,
        bytes / 1_000_000
    );
}
