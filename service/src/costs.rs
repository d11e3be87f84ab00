//! Spend: importing billing data, allocating it to groups, and showing each caller
//! exactly the groups' spend their policies let them see.
//!
//! Seeing a group's spend is `ce:GetCostAndUsage` on the group's ARN, so a policy
//! names the groups a project manager sees (`group/Marketing*`, or through
//! `${aws:PrincipalTag/team}`); Unallocated spend is
//! `arn:aws:ce::ACCOUNT:costcategory/Unallocated`. The allocation rules are the cost
//! category `GroupAllocation`, read with `ce:DescribeCostCategoryDefinition` and
//! changed with `ce:UpdateCostCategoryDefinition`. Importing and rolling back are
//! Portcullis's own `portcullis:ImportCosts`, `portcullis:ListCostImports` and
//! `portcullis:RollBackCostImport` on the account.

use std::collections::HashMap;
use std::io::Read;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use model::costs::{
    CostLine, GroupChange, GroupSpend, ImportRow, ImportsPage, RulesPage, SpendOverview,
    UNALLOCATED,
};
use spend::{FileError, FormatChoice, Reader, RowError, RuleSet, To};
use store::costs::{
    AllocationInputs, AllocationRow, Chunk, CostDimension, CostQuery, GroupScope, LineItemWriter,
    NewImport,
};
use store::Outcome;
use time::{Date, Duration};

use crate::caller::Caller;
use crate::error::ServiceError;
use crate::money::{decimal, units, UNIT};
use crate::Service;

/// Billed cost per group (Unallocated is `None`) before and after a rule change,
/// with every group's name by id.
pub type GroupSums = (
    HashMap<String, String>,
    HashMap<Option<String>, i128>,
    HashMap<Option<String>, i128>,
);

pub const VIEW: &str = "ce:GetCostAndUsage";
pub const DESCRIBE_RULES: &str = "ce:DescribeCostCategoryDefinition";
pub const UPDATE_RULES: &str = "ce:UpdateCostCategoryDefinition";
pub const IMPORT: &str = "portcullis:ImportCosts";
pub const LIST_IMPORTS: &str = "portcullis:ListCostImports";
pub const ROLL_BACK: &str = "portcullis:RollBackCostImport";

/// ARNs of spend resources.
pub mod arn {
    pub fn unallocated(account: &str) -> String {
        format!("arn:aws:ce::{account}:costcategory/Unallocated")
    }
    pub fn rules(account: &str) -> String {
        format!("arn:aws:ce::{account}:costcategory/GroupAllocation")
    }
}

/// Who starts an import: a signed-in caller, or an operator at the server's shell
/// (who can reach the database anyway).
pub enum Importer<'a> {
    Caller(&'a Caller),
    Shell,
}

/// One file to import.
pub struct ImportSource {
    pub name: String,
    pub bytes: Box<dyn Read + Send>,
}

/// Limits on one import.
#[derive(Debug, Clone, Copy)]
pub struct ImportLimits {
    pub max_rows: u64,
    pub max_bytes: u64,
    /// (key, day) sums held in memory before they are handed to the database
    /// (about 130 bytes each): bounds an import's memory whatever its size.
    pub daily_groups: u64,
}

impl Default for ImportLimits {
    fn default() -> Self {
        ImportLimits {
            max_rows: 50_000_000,
            max_bytes: 1024 * 1024 * 1024,
            daily_groups: 500_000,
        }
    }
}

/// Lets a caller watch and stop an import.
#[derive(Debug, Clone, Default)]
pub struct ImportControl {
    pub rows: Arc<AtomicU64>,
    pub cancel: Arc<AtomicBool>,
}

/// Why a billing file was refused; nothing of it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct FileRefusal {
    pub summary: String,
    /// The first bad rows (at most 100).
    pub rows: Vec<RowError>,
    /// How many rows were bad in all.
    pub bad_rows: u64,
}

impl std::fmt::Display for FileRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.summary)
    }
}

const FIRST_ERRORS: usize = 100;
const CHUNK_BYTES: usize = 1 << 20;

enum ReadFailure {
    File(FileError),
    Rows(Vec<RowError>, u64),
    NoRows,
    Cancelled,
    Stopped,
}

/// Fails reads past a byte limit with a message that names it.
struct Limited<R> {
    inner: R,
    left: u64,
    limit: u64,
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n as u64 > self.left {
            return Err(std::io::Error::other(format!(
                "larger than the import limit of {} bytes (PORTCULLIS_COST_MAX_BYTES)",
                self.limit
            )));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

impl Service {
    /// Refuses a caller who may not import, before an upload is read (and audits it).
    pub async fn may_import(&self, caller: &Caller) -> Result<(), ServiceError> {
        self.authorize(
            caller,
            IMPORT,
            &crate::authz::arn::account(&caller.account_id),
        )
        .await?;
        Ok(())
    }

    /// Imports billing files as one all-or-nothing change: any bad row refuses the
    /// lot with the rows and rules broken, and importing a (billing account, period)
    /// again replaces it. Allocation then runs over the new keys.
    pub async fn import_costs(
        &self,
        importer: Importer<'_>,
        sources: Vec<ImportSource>,
        choice: FormatChoice,
        limits: ImportLimits,
        control: ImportControl,
    ) -> Result<ImportRow, ServiceError> {
        let now = self.clock.now();
        let (actor, source_ip) = match &importer {
            Importer::Caller(caller) => {
                self.authorize(
                    caller,
                    IMPORT,
                    &crate::authz::arn::account(&caller.account_id),
                )
                .await?;
                (caller.arn(), caller.facts.ip_text())
            }
            Importer::Shell => ("shell".to_string(), String::new()),
        };
        if sources.is_empty() {
            return Err(ServiceError::invalid(
                "file",
                "Choose at least one billing file.",
            ));
        }
        let files: Vec<String> = sources.iter().map(|s| s.name.clone()).collect();
        let (sender, receiver) = tokio::sync::mpsc::channel::<Chunk>(4);
        let (id_sender, id_receiver) = tokio::sync::oneshot::channel::<i64>();
        let reading = tokio::task::spawn_blocking(move || {
            let import_id = id_receiver
                .blocking_recv()
                .map_err(|_| ReadFailure::Stopped)?;
            read_into(import_id, sources, choice, limits, &control, &sender)
        });
        let new_import = NewImport {
            by: actor.clone(),
            files: files.join(", "),
            format: match choice {
                FormatChoice::Auto => "auto".into(),
                FormatChoice::Exactly(f) => f.as_str().into(),
            },
            at: now,
        };
        let account = self.store.account_id().await?.unwrap_or_default();
        let stored = self
            .store
            .import_costs(&new_import, id_sender, receiver, |summary| {
                store::AuditEntry {
                    at: now,
                    actor: actor.clone(),
                    action: IMPORT,
                    target: crate::authz::arn::account(&account),
                    source_ip: source_ip.clone(),
                    outcome: Outcome::Success,
                    detail: format!(
                        "import #{}: {} ({} line items, billed {} {}, periods {}{})",
                        summary.id,
                        summary.files,
                        summary.line_items,
                        summary.billed_total,
                        summary.currencies,
                        periods(summary.period_first, summary.period_last),
                        if summary.replaced.is_empty() {
                            String::new()
                        } else {
                            format!(
                                "; replaced import {}",
                                summary
                                    .replaced
                                    .iter()
                                    .map(|r| format!("#{r}"))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )
                        }
                    ),
                }
            })
            .await;
        let read = reading.await.map_err(ServiceError::internal)?;
        let summary = match (read, stored) {
            (Ok(()), Ok(summary)) => summary,
            (Err(failure), _) => {
                let refusal = refusal(failure);
                let entry = store::AuditEntry {
                    at: now,
                    actor,
                    action: IMPORT,
                    target: crate::authz::arn::account(&account),
                    source_ip,
                    outcome: Outcome::Failure,
                    detail: format!("{}: {refusal}", files.join(", ")),
                };
                self.store.audit(&entry).await?;
                return Err(ServiceError::BadBillingFile(Box::new(refusal)));
            }
            (Ok(()), Err(e)) => return Err(e.into()),
        };
        if let Err(e) = self.reallocate(None).await {
            tracing::error!("allocation after import #{} failed: {e}", summary.id);
        }
        if let Err(e) = self.evaluate_budgets().await {
            tracing::error!("budgets after import #{} failed: {e}", summary.id);
        }
        Ok(import_row(&summary))
    }

    /// Import history, newest first.
    pub async fn cost_imports(&self, caller: &Caller) -> Result<ImportsPage, ServiceError> {
        let account = crate::authz::arn::account(&caller.account_id);
        self.authorize(caller, LIST_IMPORTS, &account).await?;
        let refusals = self
            .refusals(caller, &[(IMPORT, account.clone()), (ROLL_BACK, account)])
            .await?;
        let imports = self.store.cost_imports(200).await?;
        Ok(ImportsPage {
            imports: imports.iter().map(import_row).collect(),
            refusals,
        })
    }

    /// Removes an import's data; its periods hold nothing until imported again.
    pub async fn roll_back_cost_import(
        &self,
        caller: &Caller,
        id: i64,
    ) -> Result<(), ServiceError> {
        let permit = self
            .authorize(
                caller,
                ROLL_BACK,
                &crate::authz::arn::account(&caller.account_id),
            )
            .await?;
        let audit = permit.audit(caller, format!("rolled back import #{id}"));
        self.store
            .roll_back_cost_import(id, &caller.arn(), caller.now, &audit)
            .await?;
        Ok(())
    }

    /// The rule set for the editor.
    pub async fn cost_rules(&self, caller: &Caller) -> Result<RulesPage, ServiceError> {
        let resource = arn::rules(&caller.account_id);
        self.authorize(caller, DESCRIBE_RULES, &resource).await?;
        let refusals = self.refusals(caller, &[(UPDATE_RULES, resource)]).await?;
        let (document, version) = self.store.cost_rules().await?.unwrap_or_default();
        let rules = if document.is_empty() {
            RuleSet::default()
        } else {
            RuleSet::from_json(&document).map_err(ServiceError::internal)?
        };
        let groups = self
            .store
            .list_groups()
            .await?
            .into_iter()
            .map(|g| g.name)
            .collect();
        Ok(RulesPage {
            document: rules.to_json(),
            version,
            groups,
            lines: rules
                .rules
                .iter()
                .map(|r| (r.name.clone(), r.describe()))
                .collect(),
            refusals,
        })
    }

    /// Validates and saves a rule set, re-placing every cost of all history in the
    /// same transaction.
    pub async fn save_cost_rules(
        &self,
        caller: &Caller,
        document: &str,
    ) -> Result<usize, ServiceError> {
        let permit = self
            .authorize(caller, UPDATE_RULES, &arn::rules(&caller.account_id))
            .await?;
        let rules = self.checked_rules(document).await?;
        let canonical = serde_json::to_string(&rules).map_err(ServiceError::internal)?;
        let audit = permit.audit(
            caller,
            format!("saved {} allocation rules", rules.rules.len()),
        );
        let placed = self
            .store
            .reallocate(Some((&canonical, &audit)), |inputs| {
                Ok::<_, ServiceError>(place_all(inputs, &rules))
            })
            .await??;
        self.evaluate_budgets().await?;
        Ok(placed)
    }

    /// What saving `document` would change, per group, over a period.
    pub async fn preview_cost_rules(
        &self,
        caller: &Caller,
        document: &str,
        from: Date,
        to: Date,
    ) -> Result<Vec<GroupChange>, ServiceError> {
        self.authorize(caller, UPDATE_RULES, &arn::rules(&caller.account_id))
            .await?;
        let rules = self.checked_rules(document).await?;
        let scope = self.spend_scope(caller).await?;
        let (names, before, after) = self.group_sums_before_and_after(&rules, from, to).await?;
        let mut groups: Vec<Option<String>> = before.keys().chain(after.keys()).cloned().collect();
        groups.sort();
        groups.dedup();
        let mut changes: Vec<GroupChange> = groups
            .into_iter()
            .filter(|group| scope.sees(group.as_deref()))
            .map(|group| {
                let b = before.get(&group).copied().unwrap_or(0);
                let a = after.get(&group).copied().unwrap_or(0);
                GroupChange {
                    name: match &group {
                        Some(id) => names.get(id).cloned().unwrap_or_else(|| id.clone()),
                        None => UNALLOCATED.to_string(),
                    },
                    before: decimal(b),
                    after: decimal(a),
                    change: decimal(a - b),
                }
            })
            .collect();
        changes.sort_by_key(|c| std::cmp::Reverse(units(&c.change).abs()));
        Ok(changes)
    }

    /// Billed cost per group over `[from, to]` as placed now and as `rules` would
    /// place it (Unallocated is `None`), with the groups' names by id: the sums a
    /// preview compares. The three reads run side by side.
    pub async fn group_sums_before_and_after(
        &self,
        rules: &RuleSet,
        from: Date,
        to: Date,
    ) -> Result<GroupSums, ServiceError> {
        let (inputs, before, costs) = tokio::try_join!(
            self.store.allocation_inputs(),
            self.store.cost_allocations(),
            self.store.cost_by_key(from, to + Duration::days(1)),
        )?;
        let after = place_all(&inputs, rules);
        let costs: HashMap<i64, i128> = costs
            .into_iter()
            .map(|(key, billed)| (key, units(&billed)))
            .collect();
        let sum = |rows: &[AllocationRow]| {
            let mut by_group: HashMap<Option<String>, i128> = HashMap::new();
            let mut placed: HashMap<i64, i128> = HashMap::new();
            for row in rows {
                let cost = costs.get(&row.key_id).copied().unwrap_or(0);
                let share = units(&row.share);
                *placed.entry(row.key_id).or_default() += share;
                *by_group.entry(row.group_id.clone()).or_default() += cost * share / UNIT;
            }
            // Keys no row places yet are Unallocated.
            for (key, cost) in &costs {
                if !placed.contains_key(key) {
                    *by_group.entry(None).or_default() += cost;
                }
            }
            by_group
        };
        let (before, after) = (sum(&before), sum(&after));
        Ok((inputs.groups.into_iter().collect(), before, after))
    }

    /// The spend overview for a period (`to` inclusive), of the groups the caller
    /// may see; refused when they may see none.
    pub async fn spend_overview(
        &self,
        caller: &Caller,
        from: Date,
        to: Date,
    ) -> Result<SpendOverview, ServiceError> {
        let scope = self.visible_scope(Some(caller)).await?;
        let names = self.group_names().await?;
        let query = |by| CostQuery {
            from,
            to: to + Duration::days(1),
            by,
            scope: scope.as_store(),
            group: None,
        };
        let mut groups: Vec<GroupSpend> = self
            .store
            .cost_report(&query(CostDimension::Group))
            .await?
            .into_iter()
            .map(|row| GroupSpend {
                unallocated: row.value.is_empty(),
                name: group_label(&names, &row.value),
                billed: row.billed,
                effective: row.effective,
                placed_by: Vec::new(),
            })
            .collect();
        for row in self
            .store
            .cost_report(&query(CostDimension::GroupRule))
            .await?
        {
            let (group, rule) = row
                .value
                .split_once('\u{1f}')
                .unwrap_or((row.value.as_str(), ""));
            let name = group_label(&names, group);
            let rule = if rule.is_empty() {
                "no rule matched".to_string()
            } else {
                rule.to_string()
            };
            if let Some(g) = groups.iter_mut().find(|g| g.name == name) {
                g.placed_by.push((rule, row.billed));
            }
        }
        let total = decimal(groups.iter().map(|g| units(&g.billed)).sum());
        let mut top_services = cost_lines(
            self.store
                .cost_report(&query(CostDimension::Service))
                .await?,
        );
        top_services.truncate(10);
        let mut daily = cost_lines(self.store.cost_report(&query(CostDimension::Day)).await?);
        daily.sort_by(|a, b| a.label.cmp(&b.label));
        let top_resources = cost_lines(
            self.store
                .cost_top(&query(CostDimension::Resource), Some(10))
                .await?,
        );
        let largest: Vec<CostLine> = groups
            .iter()
            .map(|g| CostLine {
                label: g.name.clone(),
                billed: g.billed.clone(),
                effective: g.effective.clone(),
            })
            .collect();
        let (group_series, daily_by_group) = self
            .stacked_days(query(CostDimension::Group), &largest, OTHER_GROUPS, |id| {
                group_label(&names, id)
            })
            .await?;
        let (before_from, before_to) = (
            crate::group_spend::month_back(from),
            crate::group_spend::month_back(to),
        );
        let previous = decimal(
            self.store
                .cost_report(&CostQuery {
                    from: before_from,
                    to: before_to + Duration::days(1),
                    by: CostDimension::Group,
                    scope: scope.as_store(),
                    group: None,
                })
                .await?
                .iter()
                .map(|row| units(&row.billed))
                .sum(),
        );
        let forecast = month_end_forecast(&total, from, to);
        let refusals = self
            .refusals(
                caller,
                &[
                    (IMPORT, crate::authz::arn::account(&caller.account_id)),
                    (DESCRIBE_RULES, arn::rules(&caller.account_id)),
                ],
            )
            .await?;
        Ok(SpendOverview {
            from: from.to_string(),
            to: to.to_string(),
            currency: self.store.cost_currencies().await?.join(", "),
            groups,
            total,
            sees_everything: matches!(scope, Scope::All),
            top_services,
            top_resources,
            daily,
            group_series,
            daily_by_group,
            previous,
            forecast,
            has_data: self.store.cost_days().await?.is_some(),
            alerts: self
                .store
                .budget_alerts(20)
                .await?
                .into_iter()
                .filter(|a| scope.sees(Some(&a.group_id)))
                .take(5)
                .map(crate::budgets::alert_row)
                .collect(),
            refusals,
        })
    }

    /// A report for the command line and exports: sums by one dimension, with
    /// group ids named and Unallocated as its own line.
    pub async fn cost_report(
        &self,
        caller: Option<&Caller>,
        from: Date,
        to: Date,
        by: CostDimension,
    ) -> Result<Vec<CostLine>, ServiceError> {
        let scope = self.visible_scope(caller).await?;
        let names = self.group_names().await?;
        let rows = self
            .store
            .cost_report(&CostQuery {
                from,
                to: to + Duration::days(1),
                by: by.clone(),
                scope: scope.as_store(),
                group: None,
            })
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| CostLine {
                label: match (&by, row.value.is_empty()) {
                    (CostDimension::GroupRule, _) => row.value.replace('\u{1f}', " / "),
                    (CostDimension::Group, _) => group_label(&names, &row.value),
                    (_, true) => "(none)".to_string(),
                    (_, false) => row.value,
                },
                billed: row.billed,
                effective: row.effective,
            })
            .collect())
    }

    /// Writes the line items of a period (`to` inclusive) that the caller may see as
    /// FOCUS CSV with `x_AllocatedGroup` and `x_AllocationRule`; `None` is an
    /// operator at the shell, who sees everything.
    pub async fn export_costs<W, Done>(
        &self,
        caller: Option<&Caller>,
        from: Date,
        to: Date,
        write: W,
    ) -> Result<(), ServiceError>
    where
        W: FnMut(Vec<u8>) -> Done,
        Done: std::future::Future<Output = std::io::Result<()>>,
    {
        let scope = self.visible_scope(caller).await?;
        self.store
            .export_costs(from, to + Duration::days(1), &scope.as_store(), write)
            .await?;
        Ok(())
    }

    /// The first and last day with billing data.
    pub async fn cost_days(&self) -> Result<Option<(Date, Date)>, ServiceError> {
        Ok(self.store.cost_days().await?)
    }

    /// Places every cost again under the stored rules (after an import, or when
    /// groups or billing groups change).
    pub async fn reallocate(&self, rules: Option<&RuleSet>) -> Result<usize, ServiceError> {
        let given = rules.cloned();
        self.store
            .reallocate(None, move |inputs| {
                let rules = match given {
                    Some(rules) => rules,
                    None => match &inputs.rules {
                        Some(text) => RuleSet::from_json(text).map_err(ServiceError::internal)?,
                        None => RuleSet::default(),
                    },
                };
                Ok::<_, ServiceError>(place_all(inputs, &rules))
            })
            .await?
    }

    /// Whether the caller may see no group's spend at all (the menu hides Spend).
    pub async fn spend_visible_nowhere(&self, caller: &Caller) -> Result<bool, ServiceError> {
        Ok(self.spend_scope(caller).await?.is_empty())
    }

    /// The period a spend page shows when the URL names none: the month of the
    /// newest billing data up to its last day, or this month so far.
    pub async fn default_spend_period(&self) -> Result<(Date, Date), ServiceError> {
        let last = match self.store.cost_days().await? {
            Some((_, last)) => last,
            None => self.clock.now().date(),
        };
        Ok((spend::item::month_start(last), last))
    }

    async fn checked_rules(&self, document: &str) -> Result<RuleSet, ServiceError> {
        let rules = RuleSet::from_json(document)
            .map_err(|e| ServiceError::invalid("document", e.to_string()))?;
        let groups = self.store.list_groups().await?;
        rules
            .validate(|name| {
                groups
                    .iter()
                    .any(|g| g.name.eq_ignore_ascii_case(name.trim()))
            })
            .map_err(|e| ServiceError::invalid("document", e.to_string()))?;
        Ok(rules)
    }

    pub(crate) async fn group_names(&self) -> Result<HashMap<String, String>, ServiceError> {
        Ok(self
            .store
            .list_groups()
            .await?
            .into_iter()
            .map(|g| (g.id, g.name))
            .collect())
    }

    /// What a caller (`None`: an operator at the shell) may see of spend; a caller
    /// who may see nothing is refused, with the refusal naming what was needed.
    pub(crate) async fn visible_scope(
        &self,
        caller: Option<&Caller>,
    ) -> Result<Scope, ServiceError> {
        let Some(caller) = caller else {
            return Ok(Scope::All);
        };
        let scope = self.spend_scope(caller).await?;
        if scope.is_empty() {
            self.authorize(caller, VIEW, &arn::unallocated(&caller.account_id))
                .await?;
        }
        Ok(scope)
    }

    /// The groups whose spend the caller may see, asked of the engine per group.
    async fn spend_scope(&self, caller: &Caller) -> Result<Scope, ServiceError> {
        let groups = self.store.list_groups().await?;
        let mut resources: Vec<String> = groups.iter().map(|g| g.arn.clone()).collect();
        resources.push(arn::unallocated(&caller.account_id));
        let allowed = self.allowed_each(caller, VIEW, &resources).await?;
        if allowed.iter().all(|a| *a) {
            return Ok(Scope::All);
        }
        let unallocated = allowed.last().copied().unwrap_or(false);
        Ok(Scope::Only {
            group_ids: groups
                .iter()
                .zip(&allowed)
                .filter(|(_, a)| **a)
                .map(|(g, _)| g.id.clone())
                .collect(),
            unallocated,
        })
    }
}

/// A group id as people read it: its name, or Unallocated for none.
/// The stacked series of whatever groups the chart does not show one by one.
const OTHER_GROUPS: &str = "Other groups";

/// The spend of a month so far scaled to the whole month at its daily run rate, when
/// the period is the start of one month up to a day in it.
fn month_end_forecast(total: &str, from: Date, to: Date) -> Option<String> {
    let same_month = from.day() == 1 && from.month() == to.month() && from.year() == to.year();
    if !same_month {
        return None;
    }
    let elapsed = i128::from(to.day());
    let length = i128::from(to.month().length(to.year()));
    Some(decimal(units(total) * length / elapsed))
}

/// Report rows as labelled lines; an empty value reads `(none)`.
pub(crate) fn cost_lines(rows: Vec<store::costs::CostRow>) -> Vec<CostLine> {
    rows.into_iter()
        .map(|r| CostLine {
            label: if r.value.is_empty() {
                "(none)".into()
            } else {
                r.value
            },
            billed: r.billed,
            effective: r.effective,
        })
        .collect()
}

pub(crate) fn group_label(names: &HashMap<String, String>, id: &str) -> String {
    if id.is_empty() {
        UNALLOCATED.to_string()
    } else {
        names.get(id).cloned().unwrap_or_else(|| id.to_string())
    }
}

/// What a caller may see of spend.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Scope {
    All,
    Only {
        group_ids: Vec<String>,
        unallocated: bool,
    },
}

impl Scope {
    fn is_empty(&self) -> bool {
        matches!(self, Scope::Only { group_ids, unallocated: false } if group_ids.is_empty())
    }

    fn sees(&self, group: Option<&str>) -> bool {
        match (self, group) {
            (Scope::All, _) => true,
            (Scope::Only { unallocated, .. }, None) => *unallocated,
            (Scope::Only { group_ids, .. }, Some(id)) => group_ids.iter().any(|g| g == id),
        }
    }

    pub(crate) fn as_store(&self) -> GroupScope {
        match self {
            Scope::All => GroupScope::All,
            Scope::Only {
                group_ids,
                unallocated,
            } => GroupScope::Only {
                group_ids: group_ids.clone(),
                unallocated: *unallocated,
            },
        }
    }
}

/// Line items parsed together, with the file they came from. Batches go back to the
/// parsing thread once encoded and are filled again in place: a row's twenty-odd
/// strings are written into memory already there, instead of allocated on one
/// thread and freed on the other (a tenth of an import's work).
struct Parsed {
    file: Arc<str>,
    /// The first `filled` hold rows; the rest are room.
    items: Vec<spend::LineItem>,
    filled: usize,
    /// Refused rows, each with how many rows of `items` came before it.
    refused: Vec<(usize, RowError)>,
}

impl Parsed {
    fn new(file: Arc<str>) -> Parsed {
        Parsed {
            file,
            items: Vec::with_capacity(PARSED_BATCH),
            filled: 0,
            refused: Vec::new(),
        }
    }

    fn rows(&self) -> usize {
        self.filled + self.refused.len()
    }

    /// Reads the next row into the first free item (a new one past the room), or a
    /// refusal; `false` past the last row.
    fn read(&mut self, reader: &mut Reader) -> Result<bool, FileError> {
        let read = match self.items.get_mut(self.filled) {
            Some(item) => reader.next_item_into(item)?,
            None => {
                let mut item = spend::LineItem::unfilled();
                let read = reader.next_item_into(&mut item)?;
                self.items.push(item);
                read
            }
        };
        match read {
            Some(Ok(())) => self.filled += 1,
            Some(Err(row)) => self.refused.push((self.filled, row)),
            None => return Ok(false),
        }
        Ok(true)
    }

    /// The rows read, in order.
    fn items(&self) -> impl Iterator<Item = &spend::LineItem> {
        self.items.iter().take(self.filled)
    }

    /// Empties the batch, its items becoming room again.
    fn emptied(mut self) -> Parsed {
        self.filled = 0;
        self.refused.clear();
        self
    }
}

/// Items per hand-over from the parsing thread to the encoding one.
const PARSED_BATCH: usize = 1024;

/// Reads every source into the staging stream; sends [`Chunk::Finish`] only when
/// every row of every file was good. Parsing and encoding run on two threads (each
/// is about half the work), so an import keeps both cores busy beside PostgreSQL.
fn read_into(
    import_id: i64,
    sources: Vec<ImportSource>,
    choice: FormatChoice,
    limits: ImportLimits,
    control: &ImportControl,
    sender: &tokio::sync::mpsc::Sender<Chunk>,
) -> Result<(), ReadFailure> {
    std::thread::scope(|scope| {
        let (parsed_sender, parsed) = std::sync::mpsc::sync_channel::<Parsed>(8);
        let (emptied, recycled) = std::sync::mpsc::channel::<Parsed>();
        let parsing =
            scope.spawn(move || parse(sources, choice, limits, control, parsed_sender, recycled));
        let encoded = encode(import_id, limits, parsed, emptied, sender);
        let read = parsing.join().map_err(|_| ReadFailure::Stopped)?;
        let (total, (mut writer, errors, bad)) = match (read, encoded) {
            (Ok(total), Ok(encoded)) => (total, encoded),
            // Parsing stopped because encoding had given up: say why encoding did.
            (Err(ReadFailure::Stopped), Err(e)) => return Err(e),
            (Err(e), _) | (_, Err(e)) => return Err(e),
        };
        if bad > 0 {
            return Err(ReadFailure::Rows(errors, bad));
        }
        if total == 0 {
            return Err(ReadFailure::NoRows);
        }
        let send = |chunk: Chunk| {
            sender
                .blocking_send(chunk)
                .map_err(|_| ReadFailure::Stopped)
        };
        let rest = writer.take().map_err(|_| ReadFailure::Stopped)?;
        if !rest.is_empty() {
            send(Chunk::Rows(rest))?;
        }
        let totals = writer
            .take_sums(|chunk| {
                sender
                    .blocking_send(chunk)
                    .map_err(|_| store::StoreError::ImportStopped)
            })
            .map_err(|_| ReadFailure::Stopped)?;
        if let Some(totals) = totals {
            send(Chunk::DailyComplete(totals))?;
        }
        send(Chunk::Keys(
            writer.take_keys().map_err(|_| ReadFailure::Stopped)?,
        ))?;
        send(Chunk::Scopes(writer.scopes()))?;
        send(Chunk::Finish)
    })
}

/// The parsing half: every file's rows, in batches; returns how many rows were read.
fn parse(
    sources: Vec<ImportSource>,
    choice: FormatChoice,
    limits: ImportLimits,
    control: &ImportControl,
    parsed: std::sync::mpsc::SyncSender<Parsed>,
    recycled: std::sync::mpsc::Receiver<Parsed>,
) -> Result<u64, ReadFailure> {
    let fresh = |file: &Arc<str>| {
        let mut batch = recycled
            .try_recv()
            .unwrap_or_else(|_| Parsed::new(file.clone()));
        batch.file = file.clone();
        batch
    };
    let mut total: u64 = 0;
    for source in sources {
        let file: Arc<str> = Arc::from(source.name.as_str());
        let limited = Limited {
            inner: source.bytes,
            left: limits.max_bytes,
            limit: limits.max_bytes,
        };
        let mut reader = Reader::open(
            Box::new(limited),
            &source.name,
            choice,
            limits.max_rows.saturating_sub(total),
        )
        .map_err(ReadFailure::File)?;
        let mut batch = fresh(&file);
        while batch.read(&mut reader).map_err(ReadFailure::File)? {
            if control.cancel.load(Ordering::Relaxed) {
                return Err(ReadFailure::Cancelled);
            }
            control.rows.fetch_add(1, Ordering::Relaxed);
            if batch.rows() == PARSED_BATCH {
                let full = std::mem::replace(&mut batch, fresh(&file));
                parsed.send(full).map_err(|_| ReadFailure::Stopped)?;
            }
        }
        if batch.rows() > 0 {
            parsed.send(batch).map_err(|_| ReadFailure::Stopped)?;
        }
        total += reader.rows();
    }
    Ok(total)
}

/// The encoding half: good rows become COPY rows, keys and daily sums streamed to the
/// store; once a row is bad, only the refusals are gathered.
fn encode(
    import_id: i64,
    limits: ImportLimits,
    parsed: std::sync::mpsc::Receiver<Parsed>,
    emptied: std::sync::mpsc::Sender<Parsed>,
    sender: &tokio::sync::mpsc::Sender<Chunk>,
) -> Result<(LineItemWriter, Vec<RowError>, u64), ReadFailure> {
    let mut writer = LineItemWriter::new(import_id, limits.daily_groups as usize);
    let mut errors: Vec<RowError> = Vec::new();
    let mut bad: u64 = 0;
    let send = |chunk: Chunk| {
        sender
            .blocking_send(chunk)
            .map_err(|_| ReadFailure::Stopped)
    };
    for mut batch in parsed {
        let mut refused = std::mem::take(&mut batch.refused).into_iter().peekable();
        for (at, item) in batch.items().enumerate() {
            // The rows refused before this one, in the file's order.
            while let Some((_, row)) = refused.next_if(|(before, _)| *before <= at) {
                refuse(row, &mut errors, &mut bad);
            }
            if bad > 0 {
                continue;
            }
            if writer.is_new_period(item) {
                // Its partition must exist before its rows arrive.
                let bytes = writer.take().map_err(|_| ReadFailure::Stopped)?;
                if !bytes.is_empty() {
                    send(Chunk::Rows(bytes))?;
                }
                send(Chunk::Period(item.billing_period_start))?;
            }
            writer.push(item).map_err(|e| {
                ReadFailure::File(FileError::Unreadable {
                    file: batch.file.to_string(),
                    message: e.to_string(),
                })
            })?;
            if writer.len() >= CHUNK_BYTES {
                send(Chunk::Rows(
                    writer.take().map_err(|_| ReadFailure::Stopped)?,
                ))?;
            }
            if writer.keys_len() >= CHUNK_BYTES {
                send(Chunk::Keys(
                    writer.take_keys().map_err(|_| ReadFailure::Stopped)?,
                ))?;
            }
        }
        for (_, row) in refused {
            refuse(row, &mut errors, &mut bad);
        }
        // Parsing may have ended already; then the batch is simply dropped.
        let _ = emptied.send(batch.emptied());
    }
    Ok((writer, errors, bad))
}

/// Counts a refused row, keeping the first [`FIRST_ERRORS`].
fn refuse(row: RowError, errors: &mut Vec<RowError>, bad: &mut u64) {
    *bad += 1;
    if errors.len() < FIRST_ERRORS {
        errors.push(row);
    }
}

fn refusal(failure: ReadFailure) -> FileRefusal {
    match failure {
        ReadFailure::File(e) => FileRefusal {
            summary: format!("{e}. Nothing was imported."),
            rows: Vec::new(),
            bad_rows: 0,
        },
        ReadFailure::Rows(rows, bad) => FileRefusal {
            summary: format!(
                "{bad} row{} cannot be imported, so nothing was imported. {}{}",
                if bad == 1 { "" } else { "s" },
                rows.first()
                    .map(|r| format!("First: {r}."))
                    .unwrap_or_default(),
                if bad as usize > rows.len() {
                    format!(" (the first {} are listed)", rows.len())
                } else {
                    String::new()
                }
            ),
            rows,
            bad_rows: bad,
        },
        ReadFailure::NoRows => FileRefusal {
            summary: "The files hold a header but no rows. Nothing was imported.".into(),
            rows: Vec::new(),
            bad_rows: 0,
        },
        ReadFailure::Cancelled => FileRefusal {
            summary: "The import was cancelled. Nothing was imported.".into(),
            rows: Vec::new(),
            bad_rows: 0,
        },
        ReadFailure::Stopped => FileRefusal {
            summary: "The import stopped before its end. Nothing was imported.".into(),
            rows: Vec::new(),
            bad_rows: 0,
        },
    }
}

/// Places every key: first matching rule wins; splits divide by exact shares.
pub fn place_all(inputs: &AllocationInputs, rules: &RuleSet) -> Vec<AllocationRow> {
    let group_ids: HashMap<String, &str> = inputs
        .groups
        .iter()
        .map(|(id, name)| (name.to_ascii_lowercase(), id.as_str()))
        .collect();
    let creators = |user: &str| {
        inputs
            .billing_groups
            .get(&user.to_ascii_lowercase())
            .cloned()
    };
    let placements: Vec<Option<spend::Placement>> = inputs
        .keys
        .iter()
        .map(|(_, key, _)| rules.place(key, creators))
        .collect();
    // Direct spend per group, for proportional splits.
    let mut direct: HashMap<String, f64> = HashMap::new();
    for ((_, _, billed), placement) in inputs.keys.iter().zip(&placements) {
        if let Some(spend::Placement {
            to: To::Group(group),
            ..
        }) = placement
        {
            *direct.entry(group.to_ascii_lowercase()).or_default() += billed;
        }
    }
    let id_of = |name: &str| {
        group_ids
            .get(&name.trim().to_ascii_lowercase())
            .map(|id| id.to_string())
    };
    let mut rows = Vec::with_capacity(inputs.keys.len());
    for ((key_id, _, _), placement) in inputs.keys.iter().zip(placements) {
        match placement {
            None => rows.push(AllocationRow {
                key_id: *key_id,
                group_id: None,
                rule: None,
                share: "1".into(),
            }),
            Some(placement) => {
                let rule = rules.rules.get(placement.rule).map(|r| r.name.clone());
                match placement.to {
                    To::Group(group) => rows.push(AllocationRow {
                        key_id: *key_id,
                        group_id: id_of(&group),
                        rule,
                        share: "1".into(),
                    }),
                    To::Split(split) => {
                        let shares = split.shares(|g| {
                            direct.get(&g.to_ascii_lowercase()).copied().unwrap_or(0.0)
                        });
                        for (group, share) in shares {
                            if share.0 > 0 {
                                rows.push(AllocationRow {
                                    key_id: *key_id,
                                    group_id: id_of(&group),
                                    rule: rule.as_ref().map(|r| format!("{r} (split)")),
                                    share: share.to_decimal(),
                                });
                            }
                        }
                    }
                }
            }
        }
    }
    rows
}

fn periods(first: Option<Date>, last: Option<Date>) -> String {
    match (first, last) {
        (Some(f), Some(l)) if f == l => format!("{:04}-{:02}", f.year(), u8::from(f.month())),
        (Some(f), Some(l)) => format!(
            "{:04}-{:02} to {:04}-{:02}",
            f.year(),
            u8::from(f.month()),
            l.year(),
            u8::from(l.month())
        ),
        _ => "none".into(),
    }
}

fn import_row(import: &store::costs::CostImport) -> ImportRow {
    ImportRow {
        id: import.id,
        imported_at: crate::format::date(import.imported_at),
        imported_by: import.imported_by.clone(),
        files: import.files.clone(),
        format: import.format.clone(),
        line_items: import.line_items,
        billed_total: import.billed_total.clone(),
        currencies: import.currencies.clone(),
        periods: periods(import.period_first, import.period_last),
        state: import.state.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use proptest::prelude::*;

    fn rule(kind: u8, groups: &[&str], value: &str) -> String {
        let then = match kind % 4 {
            0 => format!(r#"{{"to":"group","group":"{}"}}"#, groups[0]),
            1 => format!(
                r#"{{"to":"split","groups":["{}","{}","{}"],"method":"even"}}"#,
                groups[0], groups[1], groups[2]
            ),
            2 => format!(
                r#"{{"to":"split","groups":["{}","{}"],"method":{{"percentages":["33.333333","66.666667"]}}}}"#,
                groups[1], groups[2]
            ),
            _ => format!(
                r#"{{"to":"split","groups":["{}","{}"],"method":"proportional"}}"#,
                groups[0], groups[2]
            ),
        };
        format!(
            r#"{{"name":"r{kind}{value}","when":{{"on":"tag","key":"team","test":{{"equals":"{value}"}}}},"then":{then}}}"#
        )
    }

    proptest! {
        /// Whatever the rules and the data, each cost's shares add up to exactly one,
        /// so allocated plus Unallocated is always the total.
        #[test]
        fn shares_of_every_cost_add_up_to_one(
            teams in proptest::collection::vec(0u8..5, 1..60),
            billed in proptest::collection::vec(-50.0f64..500.0, 60),
            kinds in proptest::collection::vec(0u8..8, 0..6),
        ) {
            let groups = ["A", "B", "C"];
            let names = ["web", "data", "ml", "ops", "x"];
            let rules: Vec<String> = kinds.iter().enumerate().map(|(i, k)| rule(*k, &groups, names[i % names.len()])).collect();
            let set = RuleSet::from_json(&format!(r#"{{"rules":[{}]}}"#, rules.join(","))).unwrap();
            let keys = teams.iter().enumerate().map(|(i, t)| {
                let mut tags = std::collections::BTreeMap::new();
                tags.insert("team".to_string(), serde_json::json!(names[*t as usize]));
                let key = spend::CostKey {
                    billing_account_id: "1".into(), sub_account_id: "2".into(), provider: "AWS".into(),
                    service_name: "s".into(), region_id: "r".into(), availability_zone: String::new(),
                    resource_id: format!("res-{i}"), charge_category: "Usage".into(), currency: "USD".into(),
                    tags, created_by: None,
                };
                (key.id(), key, billed[i % billed.len()])
            }).collect();
            let inputs = AllocationInputs {
                rules: None,
                version: 0,
                groups: groups.iter().map(|g| (format!("id{g}"), g.to_string())).collect(),
                billing_groups: Default::default(),
                keys: std::sync::Arc::new(keys),
            };
            let rows = place_all(&inputs, &set);
            let mut sums: HashMap<i64, i128> = HashMap::new();
            for row in &rows {
                *sums.entry(row.key_id).or_default() += units(&row.share);
                prop_assert!(units(&row.share) > 0);
            }
            prop_assert_eq!(sums.len(), inputs.keys.len());
            for (_, total) in sums {
                prop_assert_eq!(total, UNIT);
            }
        }
    }

    #[test]
    fn fixed_point_round_trips() {
        assert_eq!(decimal(units("-12.5")), "-12.500000000000");
        assert_eq!(units("0.000000000001"), 1);
        assert_eq!(decimal(units("3") * units("0.25") / UNIT), "0.750000000000");
    }
}
