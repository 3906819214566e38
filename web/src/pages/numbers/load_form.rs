//! Load numbers (admins): a range (start and count), a list, or a CSV file, and what came of it,
//! bad rows included with their line numbers.

use std::rc::Rc;

use shared::numbers::{LoadedNumbers, NewNumberBlock, RejectedRow, TeamsNumberType};
use wasm_bindgen_futures::JsFuture;
use web_sys::HtmlInputElement;
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::api::{self, LoadRefused, OnError};
use crate::components::form::{input_value, selected_value, textarea_value};
use crate::components::problem_banner::{ErrorBanner, ProblemBanner};
use crate::hooks::Api;

/// How Teams knows a block's numbers (sent with assign and unassign), in words.
const NUMBER_TYPES: [(TeamsNumberType, &str); 3] = [
    (TeamsNumberType::DirectRouting, "Direct Routing"),
    (TeamsNumberType::OperatorConnect, "Operator Connect"),
    (TeamsNumberType::CallingPlan, "Calling Plan"),
];

/// The largest range the server loads at once.
const MAX_RANGE: u32 = 10_000;

#[derive(Clone, Copy, PartialEq, Eq, Default)]
enum Mode {
    #[default]
    Range,
    List,
    Csv,
}

#[derive(Clone, Copy)]
enum Field {
    Start,
    Count,
    Label,
    Location,
    List,
    Csv,
}

#[derive(Clone, PartialEq, Default)]
struct LoadState {
    mode: Mode,
    start: String,
    count: String,
    label: String,
    location: String,
    list: String,
    csv: String,
    file_name: Option<String>,
    on_error: OnError,
    number_type: TeamsNumberType,
    sending: bool,
    invalid: Option<&'static str>,
    loaded: Option<LoadedNumbers>,
    refused: Option<LoadRefused>,
}

enum LoadAction {
    Mode(Mode),
    Set(Field, String),
    File { name: String, text: String },
    OnError(OnError),
    NumberType(TeamsNumberType),
    Invalid(&'static str),
    Sending,
    Loaded(LoadedNumbers),
    Refused(LoadRefused),
}

impl Reducible for LoadState {
    type Action = LoadAction;

    fn reduce(self: Rc<Self>, action: LoadAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            LoadAction::Mode(mode) => {
                next.mode = mode;
                next.invalid = None;
            }
            LoadAction::Set(field, value) => {
                let slot = match field {
                    Field::Start => &mut next.start,
                    Field::Count => &mut next.count,
                    Field::Label => &mut next.label,
                    Field::Location => &mut next.location,
                    Field::List => &mut next.list,
                    Field::Csv => &mut next.csv,
                };
                *slot = value;
                next.invalid = None;
            }
            LoadAction::File { name, text } => {
                next.file_name = Some(name);
                next.csv = text;
                next.invalid = None;
            }
            LoadAction::OnError(on_error) => next.on_error = on_error,
            LoadAction::NumberType(number_type) => next.number_type = number_type,
            LoadAction::Invalid(message) => next.invalid = Some(message),
            LoadAction::Sending => {
                next.sending = true;
                next.invalid = None;
                next.loaded = None;
                next.refused = None;
            }
            LoadAction::Loaded(loaded) => {
                next = LoadState {
                    mode: next.mode,
                    on_error: next.on_error,
                    loaded: Some(loaded),
                    ..LoadState::default()
                };
            }
            LoadAction::Refused(refused) => {
                next.sending = false;
                next.refused = Some(refused);
            }
        }
        Rc::new(next)
    }
}

/// What to send, from the form; or what to fix first.
enum Load {
    Json(NewNumberBlock),
    Csv(String, OnError),
}

fn blank_to_none(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

impl LoadState {
    fn request(&self) -> Result<Load, &'static str> {
        let label = blank_to_none(&self.label);
        let location = blank_to_none(&self.location);
        match self.mode {
            Mode::Range => {
                let start = blank_to_none(&self.start)
                    .ok_or("Enter the first number of the range, e.g. +14255550100.")?;
                let count = self
                    .count
                    .trim()
                    .parse::<u32>()
                    .ok()
                    .filter(|count| (1..=MAX_RANGE).contains(count))
                    .ok_or("Enter how many numbers the range holds, from 1 to 10,000.")?;
                Ok(Load::Json(NewNumberBlock {
                    start: Some(start),
                    count: Some(count),
                    numbers: None,
                    label,
                    location,
                    number_type: Some(self.number_type),
                }))
            }
            Mode::List => {
                let numbers: Vec<String> = self
                    .list
                    .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
                    .filter(|n| !n.is_empty())
                    .map(str::to_owned)
                    .collect();
                if numbers.is_empty() {
                    return Err("Enter at least one number, one per line.");
                }
                Ok(Load::Json(NewNumberBlock {
                    start: None,
                    count: None,
                    numbers: Some(numbers),
                    label,
                    location,
                    number_type: Some(self.number_type),
                }))
            }
            Mode::Csv => {
                if self.csv.trim().is_empty() {
                    return Err("Choose a CSV file or paste its rows (header: number,location).");
                }
                Ok(Load::Csv(self.csv.clone(), self.on_error))
            }
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct LoadFormProps {
    pub api: Api,
    /// Numbers were loaded: capacity and the list are worth fetching again.
    pub on_loaded: Callback<()>,
}

#[component]
pub fn LoadForm(props: &LoadFormProps) -> Html {
    let state = use_reducer(LoadState::default);

    let on_submit = {
        let (api, state, on_loaded) = (props.api.clone(), state.clone(), props.on_loaded.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            if state.sending {
                return;
            }
            let load = match state.request() {
                Ok(load) => load,
                Err(message) => return state.dispatch(LoadAction::Invalid(message)),
            };
            state.dispatch(LoadAction::Sending);
            let (api, state, on_loaded) = (api.clone(), state.dispatcher(), on_loaded.clone());
            spawn_local(async move {
                let answer = match &load {
                    Load::Json(body) => api::load_numbers(api.token(), body).await,
                    Load::Csv(csv, on_error) => {
                        api::load_numbers_csv(api.token(), csv, *on_error).await
                    }
                };
                match answer {
                    Ok(loaded) => {
                        let any = loaded.loaded > 0;
                        state.dispatch(LoadAction::Loaded(loaded));
                        if any {
                            on_loaded.emit(());
                        }
                    }
                    Err(LoadRefused { error, rejected }) => {
                        if let Some(error) = api.check(error) {
                            state.dispatch(LoadAction::Refused(LoadRefused { error, rejected }));
                        }
                    }
                }
            });
        })
    };

    let dispatcher = state.dispatcher();
    let set = |field: Field| {
        let state = dispatcher.clone();
        Callback::from(move |event: InputEvent| {
            state.dispatch(LoadAction::Set(field, input_value(&event)))
        })
    };
    let set_text = |field: Field| {
        let state = dispatcher.clone();
        Callback::from(move |event: InputEvent| {
            state.dispatch(LoadAction::Set(field, textarea_value(&event)))
        })
    };
    let mode = |mode: Mode| {
        let state = dispatcher.clone();
        Callback::from(move |_: Event| state.dispatch(LoadAction::Mode(mode)))
    };
    let on_error = |choice: OnError| {
        let state = dispatcher.clone();
        Callback::from(move |_: Event| state.dispatch(LoadAction::OnError(choice)))
    };
    let on_number_type = {
        let state = dispatcher.clone();
        Callback::from(move |event: Event| {
            if let Some(kind) = TeamsNumberType::parse(&selected_value(&event)) {
                state.dispatch(LoadAction::NumberType(kind));
            }
        })
    };
    let on_file = {
        let state = dispatcher.clone();
        Callback::from(move |event: Event| {
            let input: HtmlInputElement = event.target_unchecked_into();
            let Some(file) = input.files().and_then(|files| files.get(0)) else {
                return;
            };
            let state = state.clone();
            spawn_local(async move {
                match JsFuture::from(file.text())
                    .await
                    .ok()
                    .and_then(|text| text.as_string())
                {
                    Some(text) => state.dispatch(LoadAction::File {
                        name: file.name(),
                        text,
                    }),
                    None => state.dispatch(LoadAction::Invalid(
                        "The file could not be read. Choose it again, or paste its rows.",
                    )),
                }
            });
        })
    };

    let current = state.mode;
    html! {
        <form id="load-numbers" class="card form load-form" onsubmit={on_submit}>
            <h2>{ "Load numbers" }</h2>
            <p class="muted">{ "Add numbers to the inventory: a range, a list, or a CSV file. They become available to assign at once." }</p>

            <fieldset class="choice-group">
                <legend>{ "What to load" }</legend>
                { radio("load-mode", "load-mode-range", "A range", current == Mode::Range, mode(Mode::Range)) }
                { radio("load-mode", "load-mode-list", "A list of numbers", current == Mode::List, mode(Mode::List)) }
                { radio("load-mode", "load-mode-csv", "A CSV file", current == Mode::Csv, mode(Mode::Csv)) }
            </fieldset>

            { match current {
                Mode::Range => html! {
                    <div class="inline-fields">
                        <div class="field">
                            <label for="load-start">{ "First number" }</label>
                            <input id="load-start" type="text" placeholder="+14255550100" autocomplete="off"
                                value={state.start.clone()} oninput={set(Field::Start)} />
                        </div>
                        <div class="field narrow-field">
                            <label for="load-count">{ "How many" }</label>
                            <input id="load-count" type="number" min="1" max={MAX_RANGE.to_string()} placeholder="100"
                                value={state.count.clone()} oninput={set(Field::Count)} />
                        </div>
                    </div>
                },
                Mode::List => html! {
                    <>
                        <label for="load-list">{ "Numbers, one per line (E.164)" }</label>
                        <textarea id="load-list" rows="5" placeholder={"+14255550100\n+14255550101"}
                            value={state.list.clone()} oninput={set_text(Field::List)} />
                    </>
                },
                Mode::Csv => html! {
                    <>
                        <label for="load-csv-file">{ "CSV file" }</label>
                        <input id="load-csv-file" type="file" accept=".csv,text/csv" onchange={on_file} />
                        if let Some(name) = &state.file_name {
                            <p class="hint" id="load-csv-file-name">{ format!("Read {name}; its rows are below.") }</p>
                        }
                        <label for="load-csv">{ "Or paste the rows (header: number,location)" }</label>
                        <textarea id="load-csv" rows="6" class="mono" placeholder={"number,location\n+14255550100,Seattle"}
                            value={state.csv.clone()} oninput={set_text(Field::Csv)} />
                        <fieldset class="choice-group">
                            <legend>{ "When a row is bad" }</legend>
                            { radio("load-on-error", "load-on-error-reject", "Reject the whole file",
                                state.on_error == OnError::Reject, on_error(OnError::Reject)) }
                            { radio("load-on-error", "load-on-error-skip", "Skip bad rows, load the rest",
                                state.on_error == OnError::Skip, on_error(OnError::Skip)) }
                        </fieldset>
                    </>
                },
            } }

            if current != Mode::Csv {
                <div class="inline-fields">
                    <div class="field grow">
                        <label for="load-label">{ "Label (optional)" }</label>
                        <input id="load-label" type="text" placeholder="e.g. Seattle office DDIs"
                            value={state.label.clone()} oninput={set(Field::Label)} />
                    </div>
                    <div class="field grow">
                        <label for="load-location">{ "Location (optional)" }</label>
                        <input id="load-location" type="text" placeholder="e.g. Seattle"
                            value={state.location.clone()} oninput={set(Field::Location)} />
                    </div>
                    <div class="field">
                        <label for="load-number-type">{ "Teams number type" }</label>
                        <select id="load-number-type" onchange={on_number_type}>
                            { for NUMBER_TYPES.into_iter().map(|(kind, label)| html! {
                                <option value={kind.as_str()} selected={state.number_type == kind}>{ label }</option>
                            }) }
                        </select>
                    </div>
                </div>
            }

            if let Some(message) = state.invalid {
                <ErrorBanner {message} />
            }

            <div class="form-actions">
                <button id="load-numbers-submit" type="submit" class="button primary" disabled={state.sending}>
                    { if state.sending { "Loading…" } else { "Load numbers" } }
                </button>
            </div>

            if let Some(refused) = &state.refused {
                <div id="load-refused">
                    <ProblemBanner error={Some(refused.error.clone())} />
                    if !refused.rejected.is_empty() {
                        <p>{ "Nothing was loaded. Fix these rows and load again:" }</p>
                        { rejected_rows(&refused.rejected) }
                    }
                </div>
            }
            if let Some(loaded) = &state.loaded {
                { result(loaded) }
            }
        </form>
    }
}

fn radio(
    name: &'static str,
    id: &'static str,
    label: &'static str,
    checked: bool,
    onchange: Callback<Event>,
) -> Html {
    html! {
        <label class="radio" for={id}>
            <input type="radio" {name} {id} {checked} {onchange} />
            { label }
        </label>
    }
}

fn result(loaded: &LoadedNumbers) -> Html {
    let into = loaded.block.as_ref().map(|block| {
        let name = block
            .label
            .clone()
            .unwrap_or_else(|| "a new block".to_owned());
        format!(" into {name} ({} – {})", block.first, block.last)
    });
    html! {
        <div id="load-result" class="load-result" data-loaded={loaded.loaded.to_string()}>
            <p class={classes!("banner", if loaded.loaded > 0 { "success" } else { "warning" })} role="status">
                { match loaded.loaded {
                    0 => "No number was loaded.".to_owned(),
                    1 => format!("Loaded 1 number{}.", into.unwrap_or_default()),
                    n => format!("Loaded {n} numbers{}.", into.unwrap_or_default()),
                } }
            </p>
            if !loaded.rejected.is_empty() {
                <p>{ skipped(loaded) }</p>
                { rejected_rows(&loaded.rejected) }
            }
        </div>
    }
}

/// "3 rows were skipped:"; when the answer lists only the first of them (100), says so.
fn skipped(loaded: &LoadedNumbers) -> String {
    let listed = loaded.rejected.len();
    let count = usize::try_from(loaded.rejected_count)
        .unwrap_or(usize::MAX)
        .max(listed);
    let rows = if count == 1 { "row was" } else { "rows were" };
    if count > listed {
        format!("{count} {rows} skipped (the first {listed} are listed):")
    } else {
        format!("{count} {rows} skipped:")
    }
}

fn rejected_rows(rows: &[RejectedRow]) -> Html {
    html! {
        <table id="load-rejected" class="table rejected-table">
            <thead>
                <tr>
                    <th>{ "Line" }</th>
                    <th>{ "Value" }</th>
                    <th>{ "Problem" }</th>
                </tr>
            </thead>
            <tbody>
                { for rows.iter().map(|row| html! {
                    <tr data-line={row.line.to_string()}>
                        <td class="line">{ row.line }</td>
                        <td class="value"><code>{ row.value.clone() }</code></td>
                        <td class="problem">{ row.problem.clone() }</td>
                    </tr>
                }) }
            </tbody>
        </table>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(mode: Mode) -> LoadState {
        LoadState {
            mode,
            ..LoadState::default()
        }
    }

    #[test]
    fn a_range_needs_a_start_and_a_count_within_bounds() {
        let mut range = state(Mode::Range);
        assert!(range.request().is_err());
        range.start = " +14255550100 ".into();
        range.count = "0".into();
        assert!(range.request().is_err());
        range.count = "10001".into();
        assert!(range.request().is_err());
        range.count = "100".into();
        range.label = "  ".into();
        range.location = "Seattle".into();
        let Ok(Load::Json(body)) = range.request() else {
            panic!("a valid range is sent as JSON");
        };
        assert_eq!(body.start.as_deref(), Some("+14255550100"));
        assert_eq!(body.count, Some(100));
        assert_eq!(body.numbers, None);
        assert_eq!(body.label, None);
        assert_eq!(body.location.as_deref(), Some("Seattle"));
    }

    #[test]
    fn a_list_is_one_number_a_line() {
        let mut list = state(Mode::List);
        assert!(list.request().is_err());
        list.list = "+14255550100\n\n +14255550101 ,+14255550102".into();
        let Ok(Load::Json(body)) = list.request() else {
            panic!("a list is sent as JSON");
        };
        assert_eq!(
            body.numbers,
            Some(vec![
                "+14255550100".to_owned(),
                "+14255550101".to_owned(),
                "+14255550102".to_owned()
            ])
        );
        assert_eq!(body.start, None);
    }

    #[test]
    fn a_csv_is_sent_as_is_with_its_error_choice() {
        let mut csv = state(Mode::Csv);
        assert!(csv.request().is_err());
        csv.csv = "number,location\n+14255550100,Seattle\n".into();
        csv.on_error = OnError::Skip;
        let Ok(Load::Csv(text, OnError::Skip)) = csv.request() else {
            panic!("a CSV is sent as text");
        };
        assert_eq!(text, csv.csv);
    }
}
