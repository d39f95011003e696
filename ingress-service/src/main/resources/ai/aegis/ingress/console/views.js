// The console's pages. Each takes the view element and returns a cleanup function (timers, streams).
import { api, h, badge, when, short, pretty, announce } from './api.js';
import { drawFsm } from './fsm.js';

const TERMINAL = ['completed', 'failed', 'cancelled', 'timed_out'];
const EXECUTION_END = ['execution_completed', 'execution_failed', 'execution_cancelled', 'execution_timed_out'];
const WORKFLOW_END = ['workflow_completed', 'workflow_failed', 'workflow_cancelled'];
const RUN_COLUMNS = ['Requested', 'Workflow', 'Status', 'State', 'Run'];

function td(label, ...content) { return h('td', { 'data-label': label }, ...content); }
function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(([, v]) => v !== undefined && v !== null && v !== '')
    .flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}
function errorBox(e) { return h('p', { class: 'error', role: 'alert' }, `Could not load: ${e.message}`); }
function outputFacts(outputs) { return facts(Object.entries(outputs).map(([k, v]) => [k, h('pre', {}, pretty(v))])); }

/** A table with column headers (and a caption for screen readers) around its body. */
function table(id, caption, columns, body) {
  return h('table', { class: 'responsive', id }, caption && h('caption', { class: 'visually-hidden' }, caption),
    h('thead', {}, h('tr', {}, columns.map(c => h('th', { scope: 'col' }, c)))), body);
}

/** Loads now and every `ms` (while `keep()` says so); returns the page's cleanup. */
function poll(load, ms, keep = () => true) {
  load();
  const timer = setInterval(() => { if (keep()) load(); }, ms);
  return () => clearInterval(timer);
}

/** Follows an event stream: `onEvent(type, event)` for each, closed after one of `ends`; returns the cleanup. */
function follow(url, ends, onEvent) {
  const source = new EventSource(url);
  source.onmessage = m => {
    let data;
    try { data = JSON.parse(m.data); } catch { return; }
    const type = Object.keys(data)[0];
    onEvent(type, data[type] || {});
    if (ends.includes(type)) source.close();
  };
  return () => source.close();
}

/** A hidden Cancel button that POSTs to `url` and announces `said: <status>`. */
function cancelButton(id, label, url, said) {
  const button = h('button', { type: 'button', class: 'danger', id, hidden: true }, label);
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const r = await api(url, { method: 'POST' });
      announce(`${said}: ${r.status}`);
    } catch (e) { announce(`Cancel failed: ${e.message}`); button.disabled = false; }
  });
  return button;
}

// ------------------------------------------------------------------ executions

export function executions(view, params) {
  const agentSel = h('select', { id: 'filter-agent', name: 'agent' }, h('option', { value: '' }, 'All agents'));
  const statusSel = h('select', { id: 'filter-status', name: 'status' }, h('option', { value: '' }, 'All statuses'),
    ['pending', 'running', 'completed', 'failed', 'cancelled', 'timed_out'].map(s => h('option', { value: s }, s)));
  const auto = h('input', { type: 'checkbox', id: 'auto-refresh', checked: true });
  const body = h('tbody');
  const note = h('p', { class: 'meta', id: 'executions-note' });
  view.append(h('h1', {}, 'Executions'),
    h('form', { class: 'filters', onsubmit: e => { e.preventDefault(); load(); } },
      h('div', {}, h('label', { for: 'filter-agent' }, 'Agent'), agentSel),
      h('div', {}, h('label', { for: 'filter-status' }, 'Status'), statusSel),
      h('div', {}, h('label', { for: 'auto-refresh' }, auto, ' Refresh every 3 s')),
      h('button', { type: 'submit' }, 'Refresh')),
    note,
    table('executions', 'Executions, newest first', ['Requested', 'Agent', 'Status', 'Iterations', 'Execution'], body));
  statusSel.value = params.get('status') || '';
  api('/v1/agents').then(agents => {
    for (const a of agents || []) agentSel.append(h('option', { value: a.id }, `${a.name} ${a.version || ''}`));
    agentSel.value = params.get('agent') || '';
  }).catch(() => {});
  agentSel.addEventListener('change', load);
  statusSel.addEventListener('change', load);
  async function load() {
    const q = new URLSearchParams({ limit: '50' });
    if (agentSel.value) q.set('agent_id', agentSel.value);
    if (statusSel.value) q.set('status', statusSel.value);
    try {
      const list = await api(`/v1/executions?${q}`);
      body.replaceChildren(...list.map(x => h('tr', { 'data-id': x.id },
        td('Requested', when(x.requested_at)), td('Agent', x.agent_name || short(x.agent_id)),
        td('Status', badge(x.status)), td('Iterations', x.total_iterations ?? ''),
        td('Execution', h('a', { href: `#/executions/${x.id}`, class: 'id' }, x.id)))));
      note.textContent = list.length ? `Updated ${new Date().toLocaleTimeString()}` : 'No executions.';
    } catch (e) { note.textContent = `Could not load: ${e.message}`; }
  }
  return poll(load, 3000, () => auto.checked);
}

function describeExecutionEvent(type, e) {
  const it = e.iteration_number ? `Iteration ${e.iteration_number}: ` : '';
  switch (type) {
    case 'execution_started': return [`Execution started`, null];
    case 'iteration_started': return [`Iteration ${e.iteration_number} started`,
      h('details', {}, h('summary', {}, 'Task'), h('pre', {}, e.action || ''))];
    case 'llm_interaction': return [`${it}model ${e.provider || ''}/${e.model || ''} answered (${e.finish_reason || ''}, ${e.duration_ms ?? '?'} ms)`, null];
    case 'tool_call': return [`${it}tool call ${e.name}`, h('div', {},
      h('div', { class: 'meta' }, 'Arguments'), h('pre', { class: 'args' }, pretty(e.arguments)),
      h('div', { class: 'meta' }, `Result${e.exit_code !== undefined && e.exit_code !== null ? ` (exit ${e.exit_code})` : ''}${e.duration_ms ? `, ${e.duration_ms} ms` : ''}`),
      h('pre', { class: 'result' }, e.result_summary || ''))];
    case 'policy_violation': return [`${it}policy violation: ${e.violation_type || ''} (${e.tool || ''})`,
      h('p', {}, e.message || '')];
    case 'iteration_output': return [`${it}${e.stream || 'output'}`, h('pre', {}, e.output || '')];
    case 'validation_performed': return [`${it}validation ${e.validator || ''}: score ${e.score}${e.confidence !== undefined ? `, confidence ${e.confidence}` : ''}, ${e.passed ? 'passed' : 'failed'}`,
      e.reason ? h('p', {}, e.reason) : null];
    case 'iteration_completed': return [`Iteration ${e.iteration_number} completed`, h('pre', {}, e.output || '')];
    case 'iteration_failed': return [`Iteration ${e.iteration_number} failed: ${(e.error && e.error.error_type) || ''}`,
      h('p', {}, (e.error && e.error.message) || '')];
    case 'execution_completed': return [`Execution completed after ${e.total_iterations} iteration(s)`, null];
    case 'execution_failed': return [`Execution failed`, h('p', {}, e.reason || '')];
    case 'execution_cancelled': return [`Execution cancelled`, h('p', {}, e.reason || '')];
    case 'execution_timed_out': return [`Execution timed out after ${e.timeout_seconds} s`, null];
    default: return [type.replaceAll('_', ' '), h('pre', {}, pretty(e))];
  }
}

export function execution(view, id) {
  const status = h('span', { id: 'execution-status' });
  const cancel = cancelButton('cancel', 'Cancel execution', `/v1/executions/${id}/cancel`, 'Cancel requested');
  const info = h('div');
  const events = h('ol', { class: 'events', id: 'events', 'aria-live': 'polite', 'aria-relevant': 'additions',
    'aria-label': 'Execution events' });
  const answer = h('section', { id: 'answer', 'aria-live': 'polite', 'aria-labelledby': 'answer-title', hidden: true });
  view.append(h('p', {}, h('a', { href: '#/executions' }, '\u2190 Executions')),
    h('h1', {}, 'Execution ', h('code', {}, short(id)), ' ', status), info,
    h('div', { class: 'actions' }, cancel), answer,
    h('h2', { id: 'events-title' }, 'Events'), events);
  const setStatus = s => { status.replaceChildren(badge(s)); cancel.hidden = TERMINAL.includes(s); };
  api(`/v1/executions/${id}`).then(x => {
    setStatus(x.status);
    info.replaceChildren(facts([['Agent', x.agent_name || x.agent_id], ['Execution id', id], ['Input', x.input],
      ['Requested', when(x.requested_at)], ['Started', when(x.started_at)]]));
  }).catch(e => info.replaceChildren(errorBox(e)));
  const showAnswer = (text, failed) => {
    answer.hidden = false;
    answer.replaceChildren(h('h2', { id: 'answer-title' }, failed ? 'Error' : 'Final answer'),
      h('div', { class: `answer${failed ? ' failed' : ''}` }, h('pre', { id: 'final-output' }, text)));
  };
  return follow(`/v1/executions/${id}/stream`, EXECUTION_END, (type, e) => {
    const [title, detail] = describeExecutionEvent(type, e);
    events.append(h('li', { class: type, 'data-type': type },
      h('div', { class: 'ev-title' }, title),
      h('div', { class: 'meta' }, when(e.timestamp || e.started_at || e.completed_at || e.failed_at || e.validated_at)),
      detail));
    if (type === 'execution_started' || type === 'iteration_started') setStatus('running');
    if (type === 'execution_completed') { setStatus('completed'); showAnswer(e.final_output || '', false); }
    if (type === 'execution_failed') { setStatus('failed'); showAnswer(e.reason || 'failed', true); }
    if (type === 'execution_cancelled') { setStatus('cancelled'); showAnswer(e.reason || 'cancelled', true); }
    if (type === 'execution_timed_out') { setStatus('timed_out'); showAnswer(`timed out after ${e.timeout_seconds} s`, true); }
  });
}

// ------------------------------------------------------------------ approvals

export function approvals(view) {
  const list = h('div', { id: 'approvals' });
  const note = h('p', { class: 'meta', role: 'status', 'aria-live': 'polite', id: 'approvals-note' });
  view.append(h('h1', {}, 'Pending approvals'), note, list);
  async function load() {
    try {
      const r = await api('/v1/human-approvals');
      const pending = r.pending_requests || [];
      const ids = new Set(pending.map(p => p.id));
      for (const card of [...list.children]) {
        if (!ids.has(card.dataset.id) && !card.dataset.decided) card.remove();
      }
      // a decided card stays (with its result) while the list still has it
      const shown = new Set([...list.children].map(card => card.dataset.id));
      for (const p of pending) if (!shown.has(p.id)) list.append(approvalCard(p));
      if (!list.children.length) note.textContent = 'Nothing waits for a decision.';
      else if (note.textContent === 'Nothing waits for a decision.') note.textContent = '';
    } catch (e) { note.textContent = `Could not load: ${e.message}`; }
  }
  return poll(load, 3000);
}

function approvalCard(p) {
  const n = p.id;
  const feedback = h('textarea', { id: `feedback-${n}`, name: 'feedback' });
  const reason = h('textarea', { id: `reason-${n}`, name: 'reason', required: true });
  const result = h('p', { class: 'result', role: 'status', 'aria-live': 'polite' });
  const context = h('div', { class: 'context' });
  const card = h('article', { class: 'card approval', 'data-id': n, 'aria-labelledby': `ap-${n}` },
    h('h2', { id: `ap-${n}` }, `${p.state_name}`, ' ', h('span', { class: 'meta' }, `of run ${short(p.workflow_execution_id)}`)),
    h('h3', {}, 'Prompt'), h('pre', { class: 'prompt' }, p.prompt || ''),
    facts([['Workflow run', h('a', { href: `#/workflow-runs/${p.workflow_execution_id}` }, p.workflow_execution_id)],
      ['Requested', when(p.created_at)], ['Times out after', p.timeout_seconds ? `${p.timeout_seconds} s` : ''],
      ['On timeout', p.default_response || 'the run fails']]),
    context,
    h('div', { class: 'decide' },
      h('form', { class: 'approve-form', onsubmit: ev => { ev.preventDefault(); decide('approve'); } },
        h('label', { for: `feedback-${n}` }, 'Feedback (optional)'), feedback,
        h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary approve' }, 'Approve'))),
      h('form', { class: 'reject-form', onsubmit: ev => { ev.preventDefault(); decide('reject'); } },
        h('label', { for: `reason-${n}` }, 'Reason (required to reject)'), reason,
        h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'danger reject' }, 'Reject')))),
    result);
  api(`/v1/workflows/executions/${p.workflow_execution_id}`).then(run => {
    const outputs = run.state_outputs || {};
    if (Object.keys(outputs).length) {
      context.append(h('h3', {}, 'Context'), h('p', { class: 'meta' },
        `Workflow ${run.workflow_name || ''}, outputs of the states before:`),
        outputFacts(outputs));
    }
  }).catch(() => {});
  async function decide(kind) {
    const body = kind === 'approve' ? (feedback.value.trim() ? { feedback: feedback.value.trim() } : {})
      : { reason: reason.value.trim() };
    if (kind === 'reject' && !body.reason) { result.textContent = 'A reason is required to reject.'; reason.focus(); return; }
    card.querySelectorAll('button').forEach(b => { b.disabled = true; });
    try {
      const r = await api(`/v1/human-approvals/${n}/${kind}`, { method: 'POST', body });
      card.dataset.decided = r.status;
      result.replaceChildren(badge(r.status), ' ', h('a', { href: `#/workflow-runs/${p.workflow_execution_id}` },
        'Follow the run'));
    } catch (e) {
      result.textContent = `Failed: ${e.message}`;
      card.querySelectorAll('button').forEach(b => { b.disabled = false; });
    }
  }
  return card;
}

// ------------------------------------------------------------------ workflows

export function workflows(view) {
  const body = h('tbody');
  const runs = h('tbody');
  view.append(h('h1', {}, 'Workflows'),
    table('workflows', 'Workflows', ['Name', 'Version', 'Description'], body),
    h('h2', {}, 'Recent runs'),
    table('runs', 'Workflow runs', RUN_COLUMNS, runs));
  api('/v1/workflows').then(list => body.replaceChildren(...(list || []).map(w => h('tr', {},
    td('Name', h('a', { href: `#/workflows/${encodeURIComponent(w.name)}` }, w.name)), td('Version', w.version || ''),
    td('Description', w.description || ''))))).catch(e => body.replaceChildren(h('tr', {}, h('td', {}, errorBox(e)))));
  return poll(() => api('/v1/workflows/executions?limit=50').then(list => runs.replaceChildren(...runRows(list)))
    .catch(() => {}), 3000);
}

function runRows(list) {
  return (list || []).map(r => h('tr', { 'data-id': r.workflow_execution_id },
    td('Requested', when(r.requested_at)), td('Workflow', r.workflow_name), td('Status', badge(r.status)),
    td('State', r.current_state || ''),
    td('Run', h('a', { href: `#/workflow-runs/${r.workflow_execution_id}`, class: 'id' }, r.workflow_execution_id))));
}

export function workflow(view, name) {
  const fsm = h('div');
  const runs = h('tbody');
  view.append(h('p', {}, h('a', { href: '#/workflows' }, '\u2190 Workflows')), h('h1', {}, `Workflow ${name}`), fsm,
    h('h2', {}, 'Runs'),
    table(undefined, undefined, RUN_COLUMNS, runs));
  api(`/v1/workflows/${encodeURIComponent(name)}`).then(w => {
    fsm.replaceChildren(facts([['Version', w.version], ['Description', w.description]]),
      drawFsm(w.manifest, { title: `States of ${name}` }));
  }).catch(e => fsm.replaceChildren(errorBox(e)));
  return poll(() => api(`/v1/workflows/executions?workflow=${encodeURIComponent(name)}&limit=50`)
    .then(list => runs.replaceChildren(...runRows(list))).catch(() => {}), 3000);
}

export function workflowRun(view, id) {
  const head = h('div');
  const fsm = h('div', { id: 'run-fsm' });
  const outputs = h('div');
  const events = h('ol', { class: 'events', id: 'run-events', 'aria-live': 'polite', 'aria-label': 'Workflow events' });
  const cancel = cancelButton('cancel-run', 'Cancel run', `/v1/workflows/executions/${id}/cancel`, 'Cancel');
  view.append(h('p', {}, h('a', { href: '#/workflows' }, '\u2190 Workflows')),
    h('h1', {}, 'Workflow run ', h('code', {}, short(id))), head, h('div', { class: 'actions' }, cancel),
    h('div', { class: 'grid2' }, h('section', { 'aria-label': 'State machine' }, fsm),
      h('section', { 'aria-labelledby': 'run-events-title' }, h('h2', { id: 'run-events-title' }, 'Events'), events)),
    outputs);
  let manifest = null;
  const visited = [];
  async function refresh() {
    try {
      const run = await api(`/v1/workflows/executions/${id}`);
      if (!manifest) manifest = (await api(`/v1/workflows/${encodeURIComponent(run.workflow_name)}`)).manifest;
      head.replaceChildren(facts([['Workflow', h('a', { href: `#/workflows/${encodeURIComponent(run.workflow_name)}` }, run.workflow_name)],
        ['Status', h('span', { id: 'run-status' }, badge(run.status))], ['Current state', h('span', { id: 'run-state' }, run.current_state || '')],
        ['Pending approval', run.pending_approval ? h('a', { href: '#/approvals' }, 'waiting for a decision') : ''],
        ['Input', run.input], ['Error', run.error]]));
      cancel.hidden = TERMINAL.includes(run.status);
      fsm.replaceChildren(drawFsm(manifest, { current: run.current_state, visited,
        title: `States of ${run.workflow_name}, current: ${run.current_state || 'none'}` }));
      const out = run.state_outputs || {};
      outputs.replaceChildren(...(Object.keys(out).length ? [h('h2', {}, 'State outputs'), outputFacts(out)] : []));
    } catch (e) { head.replaceChildren(errorBox(e)); }
  }
  refresh();
  return follow(`/v1/workflows/executions/${id}/stream`, WORKFLOW_END, (type, e) => {
    if (type === 'state_entered' && !visited.includes(e.state_name)) visited.push(e.state_name);
    let text = type.replaceAll('_', ' ');
    if (e.state_name) text += `: ${e.state_name}`;
    if (type === 'state_exited' && e.status) text += ` (${e.status})`;
    if (type === 'workflow_completed' && e.final_state) text += ` in ${e.final_state}`;
    if (type === 'workflow_failed' && e.reason) text += `: ${e.reason}`;
    events.append(h('li', { class: type, 'data-type': type }, h('div', { class: 'ev-title' }, text),
      type === 'approval_requested' && e.prompt ? h('pre', {}, e.prompt) : null));
    refresh();
  });
}

// ------------------------------------------------------------------ stimuli, dead letters

export function stimuli(view) {
  const body = h('tbody');
  const note = h('p', { class: 'meta', role: 'status', 'aria-live': 'polite' });
  view.append(h('h1', {}, 'Stimuli'), note,
    table('stimuli', 'Stimuli, newest first',
      ['Received', 'Source', 'Status', 'Routing decision', 'Workflow run', 'Actions'], body));
  async function load() {
    try {
      const r = await api('/v1/stimuli?limit=100');
      body.replaceChildren(...(r.stimuli || []).map(s => {
        const d = s.decision || {};
        const decision = d.mode ? `${d.mode}${d.workflow ? ` \u2192 ${d.workflow}` : ''}${d.confidence !== undefined ? ` (confidence ${d.confidence})` : ''}` : '';
        const replay = (s.status === 'failed' || s.status === 'refused') && !s.replayed_by
          ? h('button', { type: 'button', onclick: async ev => {
            ev.target.disabled = true;
            try { await api(`/v1/stimuli/${s.stimulus_id}/replay`, { method: 'POST' }); note.textContent = `Replayed ${short(s.stimulus_id)}`; load(); }
            catch (e) { note.textContent = `Replay failed: ${e.message}`; ev.target.disabled = false; }
          } }, 'Replay', h('span', { class: 'visually-hidden' }, ` stimulus ${s.stimulus_id}`)) : '';
        return h('tr', {}, td('Received', when(s.received_at)), td('Source', s.source), td('Status', badge(s.status)),
          td('Routing decision', decision, s.error ? h('div', { class: 'error' }, `${s.error.code}: ${s.error.message}`) : ''),
          td('Workflow run', s.workflow_execution_id ? h('a', { href: `#/workflow-runs/${s.workflow_execution_id}` }, short(s.workflow_execution_id)) : ''),
          td('Actions', replay));
      }));
      if (!(r.stimuli || []).length) note.textContent = 'No stimuli.';
    } catch (e) { note.textContent = `Could not load: ${e.message}`; }
  }
  return poll(load, 5000);
}

export function deadLetters(view) {
  const list = h('div', { id: 'dead-letters' });
  view.append(h('h1', {}, 'Dead letters'),
    h('p', { class: 'meta' }, 'Records a consumer could not read or process, newest first. The API has no replay '
      + 'route for them (a failed stimulus is replayed from the Stimuli page).'), list);
  api('/v1/dead-letters?limit=100').then(items => {
    list.replaceChildren(...(items || []).map(d => h('article', { class: 'card' },
      h('h2', {}, `${d.consumer || '?'}: ${d.error_class || ''}`),
      facts([['Failed', when(d.failed_at)], ['Source', `${d.source_topic} [${d.source_partition}] @ ${d.source_offset}`],
        ['Key', d.key], ['Error', d.error_message]]),
      d.value ? h('details', {}, h('summary', {}, `Value (${d.value_bytes} bytes${d.value_truncated ? ', truncated' : ''})`),
        h('pre', {}, d.value)) : null)));
    if (!(items || []).length) list.append(h('p', {}, 'No dead letters.'));
  }).catch(e => list.replaceChildren(errorBox(e)));
  return () => {};
}
