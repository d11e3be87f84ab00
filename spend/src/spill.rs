//! Daily (or monthly) sums that no longer fit in memory, written to temporary files,
//! one per day (or month), so that each day can be added up alone at the end: memory
//! stays bounded by one day's groups instead of the whole import's, and the database
//! receives every (key, day) once, in the order of its index. Handing partial sums to
//! the database instead made it add them up with `NUMERIC` arithmetic, which cost a
//! 10M-row import a third of its time.

use std::collections::BTreeSet;
use std::fs::OpenOptions;
use std::io::{BufWriter, Write};

use rustc_hash::FxHashMap;
use time::Date;

use crate::daily::{add_part, DaySums, Exact, Group};

/// Bytes per spilled group: key, period, bucket, account, three amounts (units and
/// scale), line items.
const RECORD: usize = 8 + 4 + 4 + 4 + 3 * (16 + 4) + 8;

#[derive(Debug)]
pub(crate) struct Spill {
    dir: tempfile::TempDir,
    buckets: BTreeSet<Date>,
}

/// Why spilled sums cannot be handed over exactly.
#[derive(Debug)]
pub(crate) enum SpillError {
    Io(std::io::Error),
    /// Parts of one group add up past what [`Exact`] holds.
    Overflow,
    /// A file holds something this module did not write.
    Corrupt,
}

impl From<std::io::Error> for SpillError {
    fn from(e: std::io::Error) -> SpillError {
        SpillError::Io(e)
    }
}

impl std::fmt::Display for SpillError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SpillError::Io(e) => write!(f, "spilling sums to a temporary file failed: {e}"),
            SpillError::Overflow => f.write_str("a sum outgrew 38 digits"),
            SpillError::Corrupt => f.write_str("a temporary file of sums was altered"),
        }
    }
}

impl Spill {
    /// In the system's temporary folder (`TMPDIR`); removed when dropped.
    pub(crate) fn new() -> Result<Spill, SpillError> {
        Ok(Spill {
            dir: tempfile::Builder::new()
                .prefix("portcullis-sums")
                .tempdir()?,
            buckets: BTreeSet::new(),
        })
    }

    fn path(&self, bucket: Date) -> std::path::PathBuf {
        self.dir.path().join(bucket.to_julian_day().to_string())
    }

    /// Appends groups to their buckets' files.
    pub(crate) fn write(&mut self, mut groups: Vec<(Group, DaySums)>) -> Result<(), SpillError> {
        groups.sort_unstable_by_key(|((key, period, bucket), _)| (*bucket, *key, *period));
        for run in groups.chunk_by(|a, b| a.0 .2 == b.0 .2) {
            let Some(((_, _, bucket), _)) = run.first() else {
                continue;
            };
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(self.path(*bucket))?;
            let mut out = BufWriter::with_capacity(1 << 16, file);
            for ((key, period, _), sums) in run {
                out.write_all(&key.to_le_bytes())?;
                out.write_all(&period.to_julian_day().to_le_bytes())?;
                out.write_all(&bucket.to_julian_day().to_le_bytes())?;
                out.write_all(&sums.account.to_le_bytes())?;
                for amount in [sums.billed, sums.effective, sums.list] {
                    out.write_all(&amount.units.to_le_bytes())?;
                    out.write_all(&amount.scale.to_le_bytes())?;
                }
                out.write_all(&sums.line_items.to_le_bytes())?;
            }
            out.flush()?;
            self.buckets.insert(*bucket);
        }
        Ok(())
    }

    /// The buckets written, in order.
    pub(crate) fn buckets(&self) -> impl Iterator<Item = Date> + '_ {
        self.buckets.iter().copied()
    }

    /// One bucket's groups, each added up once, sorted by key and period.
    pub(crate) fn read(&self, bucket: Date) -> Result<Vec<(Group, DaySums)>, SpillError> {
        let bytes = std::fs::read(self.path(bucket))?;
        if bytes.len() % RECORD != 0 {
            return Err(SpillError::Corrupt);
        }
        let mut sums: FxHashMap<Group, DaySums> = FxHashMap::default();
        for record in bytes.chunks_exact(RECORD) {
            let (group, part) = decode(record).ok_or(SpillError::Corrupt)?;
            if group.2 != bucket {
                return Err(SpillError::Corrupt);
            }
            add_part(&mut sums, group, part).ok_or(SpillError::Overflow)?;
        }
        let mut groups: Vec<(Group, DaySums)> = sums.into_iter().collect();
        groups.sort_unstable_by_key(|((key, period, _), _)| (*key, *period));
        Ok(groups)
    }
}

/// Reads fixed-size fields off the front of a record.
struct Fields<'a>(&'a [u8]);

impl Fields<'_> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.0.split_first_chunk::<N>()?;
        self.0 = rest;
        Some(*head)
    }

    fn date(&mut self) -> Option<Date> {
        Date::from_julian_day(i32::from_le_bytes(self.take()?)).ok()
    }

    fn exact(&mut self) -> Option<Exact> {
        Some(Exact {
            units: i128::from_le_bytes(self.take()?),
            scale: u32::from_le_bytes(self.take()?),
        })
    }
}

fn decode(record: &[u8]) -> Option<(Group, DaySums)> {
    let mut fields = Fields(record);
    let key = i64::from_le_bytes(fields.take()?);
    let period = fields.date()?;
    let bucket = fields.date()?;
    let sums = DaySums {
        account: u32::from_le_bytes(fields.take()?),
        billed: fields.exact()?,
        effective: fields.exact()?,
        list: fields.exact()?,
        line_items: i64::from_le_bytes(fields.take()?),
    };
    Some(((key, period, bucket), sums))
}
