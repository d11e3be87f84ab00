//! The billing-file upload form: a plain multipart form that works without the wasm,
//! and once hydrated, drag and drop, a progress bar with speed and time left, and a
//! cancel button (an aborted upload imports nothing).

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

use crate::api::costs::UploadOutcome;

thread_local! {
    /// The upload in flight, for the cancel button. A browser has one thread; the
    /// server renders this component but never runs its handlers, and keeps nothing
    /// here (a thread-local value in the reactive arena would be dropped on another
    /// server thread and panic).
    static UPLOAD: std::cell::RefCell<Option<web_sys::XmlHttpRequest>> = const { std::cell::RefCell::new(None) };
}

fn set_request(xhr: Option<web_sys::XmlHttpRequest>) {
    UPLOAD.with(|u| *u.borrow_mut() = xhr);
}

/// Bytes sent, bytes in all, seconds since the start.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Progress {
    sent: f64,
    total: f64,
    seconds: f64,
}

impl Progress {
    fn percent(&self) -> f64 {
        if self.total > 0.0 {
            (self.sent / self.total * 100.0).min(100.0)
        } else {
            0.0
        }
    }

    fn describe(&self) -> String {
        let rate = self.sent / self.seconds.max(0.001);
        let left = if rate > 0.0 {
            (self.total - self.sent).max(0.0) / rate
        } else {
            0.0
        };
        if self.sent >= self.total && self.total > 0.0 {
            format!(
                "Uploaded {:.1} MB; importing (every row is checked before anything is written)…",
                self.total / 1e6
            )
        } else {
            format!(
                "{:.0}% · {:.1} of {:.1} MB · {:.1} MB/s · about {:.0} s left",
                self.percent(),
                self.sent / 1e6,
                self.total / 1e6,
                rate / 1e6,
                left.ceil()
            )
        }
    }
}

#[component]
pub fn Uploader(
    #[prop(into)] on_done: Callback<()>,
    /// Kept by the page, so the outcome outlives the reload of the history.
    outcome: RwSignal<Option<UploadOutcome>>,
) -> impl IntoView {
    let form = NodeRef::<leptos::html::Form>::new();
    let input = NodeRef::<leptos::html::Input>::new();
    let (progress, set_progress) = signal(None::<Progress>);
    let set_outcome = outcome.write_only();
    let (dragging, set_dragging) = signal(false);
    let (chosen, set_chosen) = signal(String::new());

    let describe_files = move || {
        let names = input
            .get()
            .and_then(|i| i.files())
            .map(|files| {
                (0..files.length())
                    .filter_map(|n| files.item(n))
                    .map(|f| format!("{} ({:.1} MB)", f.name(), f.size() / 1e6))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        set_chosen.set(names);
    };

    let submit = move |ev: SubmitEvent| {
        let (Some(element), Ok(xhr)) = (form.get(), web_sys::XmlHttpRequest::new()) else {
            return; // the plain form posts instead
        };
        let Ok(data) = web_sys::FormData::new_with_form(&element) else {
            return;
        };
        ev.prevent_default();
        set_outcome.set(None);
        let started = js_sys::Date::now();
        let on_progress =
            Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(move |e: web_sys::ProgressEvent| {
                set_progress.set(Some(Progress {
                    sent: e.loaded(),
                    total: e.total(),
                    seconds: (js_sys::Date::now() - started) / 1000.0,
                }));
            });
        if let Ok(upload) = xhr.upload() {
            upload.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
        }
        on_progress.forget();
        let finished = {
            let xhr = xhr.clone();
            Closure::<dyn FnMut()>::new(move || {
                let text = xhr.response_text().ok().flatten().unwrap_or_default();
                let result =
                    serde_json::from_str::<UploadOutcome>(&text).unwrap_or(UploadOutcome {
                        ok: false,
                        message: format!(
                            "The server answered {} without a result.",
                            xhr.status().unwrap_or(0)
                        ),
                        rows: Vec::new(),
                    });
                let ok = result.ok;
                set_progress.set(None);
                set_outcome.set(Some(result));
                set_request(None);
                if ok {
                    on_done.run(());
                }
            })
        };
        xhr.set_onload(Some(finished.as_ref().unchecked_ref()));
        finished.forget();
        let failed = Closure::<dyn FnMut()>::new(move || {
            set_progress.set(None);
            set_request(None);
            set_outcome.set(Some(UploadOutcome {
                ok: false,
                message: "The upload stopped (cancelled or the connection dropped); nothing was imported.".into(),
                rows: Vec::new(),
            }));
        });
        xhr.set_onerror(Some(failed.as_ref().unchecked_ref()));
        xhr.set_onabort(Some(failed.as_ref().unchecked_ref()));
        failed.forget();
        if xhr.open("POST", "/spend/upload").is_err()
            || xhr
                .set_request_header("Accept", "application/json")
                .is_err()
        {
            return;
        }
        set_progress.set(Some(Progress {
            sent: 0.0,
            total: 0.0,
            seconds: 0.0,
        }));
        set_request(Some(xhr.clone()));
        let _ = xhr.send_with_opt_form_data(Some(&data));
    };

    let cancel = move |_| {
        if let Some(xhr) = UPLOAD.with(|u| u.borrow().clone()) {
            let _ = xhr.abort();
        }
    };

    let drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        set_dragging.set(false);
        let files = ev.data_transfer().and_then(|d| d.files());
        if let (Some(files), Some(element)) = (files, input.get()) {
            element.set_files(Some(&files));
            describe_files();
        }
    };

    view! {
        <form method="post" action="/spend/upload" enctype="multipart/form-data" class="upload" data-testid="upload-form"
            node_ref=form on:submit=submit>
            <div class="dropzone" class:dragging=dragging
                on:dragover=move |ev: leptos::ev::DragEvent| { ev.prevent_default(); set_dragging.set(true); }
                on:dragleave=move |_| set_dragging.set(false)
                on:drop=drop>
                <label for="cost-file">"Drop FOCUS or AWS CUR files here (CSV, CSV.gz or Parquet), or choose them"</label>
                <input id="cost-file" type="file" name="file" multiple=true accept=".csv,.gz,.parquet,text/csv,application/gzip,application/vnd.apache.parquet"
                    node_ref=input on:change=move |_| describe_files()/>
                <p class="hint" data-testid="chosen-files">{chosen}</p>
            </div>
            <label for="cost-format">"Format"</label>
            <select id="cost-format" name="format">
                <option value="auto" selected=true>"Detect from the header"</option>
                <option value="focus">"FOCUS 1.0–1.2"</option>
                <option value="cur">"AWS CUR (legacy)"</option>
                <option value="cur2">"AWS CUR 2.0"</option>
            </select>
            <p class="hint">"A file is imported whole or not at all. Importing a billing account's month again replaces it."</p>
            {move || progress.get().map(|p| view! {
                <div class="upload-progress" role="status" aria-live="polite" data-testid="upload-progress">
                    <progress max="100" value=format!("{:.0}", p.percent())></progress>
                    <span>{p.describe()}</span>
                    <button type="button" class="secondary" on:click=cancel>"Cancel"</button>
                </div>
            })}
            <button type="submit" disabled=move || progress.get().is_some()>"Import"</button>
            {move || outcome.get().map(|o| view! {
                <section class=if o.ok { "banner success" } else { "banner error" } role="status" data-testid="upload-outcome">
                    <p>{o.message}</p>
                    {(!o.rows.is_empty()).then(|| view! {
                        <ul class="row-errors">{o.rows.into_iter().map(|r| view! { <li>{r}</li> }).collect_view()}</ul>
                    })}
                </section>
            })}
        </form>
    }
}
