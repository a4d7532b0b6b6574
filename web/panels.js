// The panels of the overview drawn from GET /v1/posture/summary: devices by state, open findings by severity and
// rule, alignment per policy and control, wipes and retires, and the freshness of each connection's data (with
// "Sync now" for admins only).
import {
  age,
  formatNumber,
  formatPercent,
  h,
  problemMessage,
  replaceChildren,
  ruleLabel,
  SEVERITIES,
  STATES,
  table,
  time,
} from './dom.js';

export const STATE_LABELS = { compliant: 'Compliant', noncompliant: 'Noncompliant', unknown: 'Unknown', gone: 'Gone' };
/** Data older than this is flagged: syncs run every 15 minutes by default. */
export const STALE_AFTER_MS = 60 * 60 * 1000;

function tile(label, value, testid, className) {
  return h(
    'div',
    { class: `tile ${className}` },
    h('span', { class: 'tile-value', 'data-testid': testid }, formatNumber(value)),
    h('span', { class: 'tile-label' }, label),
  );
}

function stateRows(entries) {
  return entries.map(([name, counts]) => [
    name,
    ...STATES.map((state) => formatNumber(counts[state])),
    formatNumber(counts.total),
  ]);
}

export function devicesPanel(summary) {
  const { byState, byPlatform, byOwnership, byConnection } = summary.devices;
  const headers = (first) => [first, ...STATES.map((state) => STATE_LABELS[state]), 'Total'];
  return [
    h(
      'div',
      { class: 'tiles' },
      STATES.map((state) => tile(STATE_LABELS[state], byState[state], `devices-${state}`, `state-${state}`)),
    ),
    h(
      'p',
      { class: 'note' },
      h('span', { 'data-testid': 'devices-total' }, formatNumber(byState.total)),
      ' devices in all. Unknown means the MDM does not say: it is never counted as compliant.',
    ),
    table({
      caption: 'Devices by platform',
      headers: headers('Platform'),
      rows: stateRows(Object.entries(byPlatform)),
    }),
    h(
      'details',
      null,
      h('summary', null, 'By ownership and connection'),
      table({
        caption: 'Devices by ownership',
        headers: headers('Ownership'),
        rows: stateRows(Object.entries(byOwnership)),
      }),
      table({
        caption: 'Devices by connection',
        headers: headers('Connection'),
        rows: stateRows(byConnection.map((c) => [c.name, c.states])),
      }),
    ),
  ];
}

export function findingsPanel(summary) {
  const { bySeverity, byRule } = summary.findings;
  return [
    h(
      'div',
      { class: 'tiles' },
      SEVERITIES.map((severity) =>
        tile(
          severity[0].toUpperCase() + severity.slice(1),
          bySeverity[severity],
          `findings-${severity}`,
          `severity-${severity}`,
        ),
      ),
    ),
    h(
      'p',
      { class: 'note' },
      h('span', { 'data-testid': 'findings-total' }, formatNumber(bySeverity.total)),
      ' open findings.',
    ),
    byRule.length === 0
      ? h('p', { class: 'muted' }, 'No open findings.')
      : table({
          caption: 'Top findings by rule',
          testid: 'findings-by-rule',
          headers: ['Rule', ...SEVERITIES, 'Total'],
          rows: byRule.map(({ rule, counts }) => [
            [null, ruleLabel(rule), ' ', h('code', null, rule)],
            ...SEVERITIES.map((severity) => formatNumber(counts[severity])),
            [{ class: 'strong' }, formatNumber(counts.total)],
          ]),
        }),
  ];
}

/** Holds, fails, unknown and not enforceable as one bar: only the green part counts as holding. */
function alignmentBar(alignment) {
  const parts = [
    ['holds', alignment.holds],
    ['fails', alignment.fails],
    ['unknown', alignment.unknown],
    ['not-enforceable', alignment.notEnforceable],
  ];
  const total = Math.max(1, alignment.targeted);
  return h(
    'span',
    { class: 'bar', 'aria-hidden': 'true' },
    parts
      .filter(([, count]) => count > 0)
      .map(([name, count]) => {
        const part = h('span', { class: `bar-part align-${name}` });
        part.style.width = `${(count / total) * 100}%`; // CSSOM, which the Content-Security-Policy allows
        return part;
      }),
  );
}

function alignmentCells(label, alignment) {
  return [
    label,
    [
      { class: 'score' },
      alignment.score === null ? h('span', { class: 'muted' }, 'nothing targeted') : formatPercent(alignment.score),
      alignmentBar(alignment),
    ],
    formatNumber(alignment.holds),
    formatNumber(alignment.fails),
    formatNumber(alignment.unknown),
    formatNumber(alignment.notEnforceable),
    formatNumber(alignment.targeted),
  ];
}

const ALIGNMENT_HEADERS = ['Policy', 'Score', 'Holds', 'Fails', 'Unknown', 'Not enforceable', 'Targeted'];

export function alignmentPanel(summary) {
  if (summary.alignment.length === 0) return h('p', { class: 'muted' }, 'No policies yet.');
  return [
    h(
      'p',
      { class: 'note' },
      'Score = holds / targeted. Unknown and not enforceable are counted apart and never as holding.',
    ),
    table({
      caption: 'Alignment per policy',
      testid: 'alignment',
      headers: ['Policy', ...ALIGNMENT_HEADERS.slice(1)],
      rows: summary.alignment.map((p) =>
        alignmentCells(
          [null, h('strong', null, p.policy), h('span', { class: 'muted' }, ` v${p.version}`)],
          p.alignment,
        ),
      ),
    }),
    summary.alignment.map((p) =>
      h(
        'details',
        null,
        h('summary', null, `Controls of ${p.policy}`),
        table({
          caption: `Alignment per control of ${p.policy}`,
          headers: ['Control', ...ALIGNMENT_HEADERS.slice(1)],
          rows: p.controls.map((c) =>
            alignmentCells(
              [null, h('code', null, c.control), h('span', { class: 'muted' }, ` ${c.mode}`)],
              c.alignment,
            ),
          ),
        }),
      ),
    ),
  ];
}

export const deviceLink = (id, name) =>
  h('a', { href: `#/devices/${encodeURIComponent(id)}` }, name ?? '(unnamed device)');

function actionRows(items) {
  return items.map((a) => [deviceLink(a.deviceId, a.deviceName), a.kind, a.state, time(a.updatedAt)]);
}

function countsLine(counts) {
  const entries = Object.entries(counts);
  return entries.length === 0
    ? null
    : h('p', { class: 'note' }, entries.map(([key, n]) => `${key}: ${formatNumber(n)}`).join(' · '));
}

export function actionsPanel(summary) {
  const { pending, recent } = summary.actions;
  const headers = ['Device', 'Kind', 'State', 'Updated'];
  return [
    h(
      'h3',
      null,
      'Pending ',
      h('span', { class: 'count', 'data-testid': 'actions-pending' }, formatNumber(pending.total)),
    ),
    countsLine(pending.byState),
    pending.items.length
      ? table({ caption: 'Pending wipes and retires', headers, rows: actionRows(pending.items) })
      : h('p', { class: 'muted' }, 'None pending.'),
    h(
      'h3',
      null,
      'Finished in the last 7 days ',
      h('span', { class: 'count', 'data-testid': 'actions-recent' }, formatNumber(recent.total)),
    ),
    countsLine(recent.byOutcome),
    recent.items.length
      ? table({ caption: 'Recent wipes and retires', headers, rows: actionRows(recent.items) })
      : h('p', { class: 'muted' }, 'None recently.'),
  ];
}

/** What needs a person's attention about a connection, in words (the row is highlighted too). */
function freshnessProblems(connection, now) {
  const problems = [];
  if (connection.credentialStatus === 'broken') problems.push('credential broken');
  if (!connection.lastCompleteSyncAt) problems.push('never synced completely');
  else if (now - Date.parse(connection.lastCompleteSyncAt) > STALE_AFTER_MS)
    problems.push(`stale: last complete sync ${age(connection.lastCompleteSyncAt, now)}`);
  if (connection.lastSyncOutcome === 'failed') problems.push('last sync failed');
  return problems;
}

export function freshnessPanel(summary, context) {
  if (summary.freshness.length === 0) return h('p', { class: 'muted' }, 'No MDM connections yet.');
  const now = Date.now();
  const admin = context.self.role === 'admin';
  const rows = summary.freshness.map((c) => {
    const problems = freshnessProblems(c, now);
    const status = h(
      'span',
      { class: problems.length ? 'status-bad' : 'status-ok' },
      problems.length ? problems.join('; ') : 'fresh',
    );
    const cells = [
      [null, h('strong', null, c.name), h('span', { class: 'muted' }, ` ${c.kind}`)],
      status,
      time(c.lastCompleteSyncAt),
      [null, c.lastSyncOutcome ?? 'none', ' ', time(c.lastSyncFinishedAt, '')],
      time(c.evaluatedAt),
      c.credentialStatus,
    ];
    if (admin) cells.push(syncButton(c, context));
    return { props: { class: problems.length ? 'attention' : null, 'data-testid': 'freshness-row' }, cells };
  });
  const headers = ['Connection', 'Status', 'Last complete sync', 'Last sync', 'Evaluated', 'Credential'];
  if (admin) headers.push('Action');
  return table({ caption: 'Freshness per connection', testid: 'freshness', headers, rows });
}

/** Admins only: queue a sync of one connection. */
function syncButton(connection, { api }) {
  const result = h('span', { class: 'result', role: 'status' });
  const button = h('button', { type: 'button', 'data-action': 'sync', class: 'small' }, 'Sync now');
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const queued = await api.post(`/v1/connections/${encodeURIComponent(connection.connectionId)}/sync`);
      replaceChildren(result, `queued (job ${queued.jobId})`);
    } catch (error) {
      replaceChildren(result, problemMessage(error));
    } finally {
      button.disabled = false;
    }
  });
  return [null, button, ' ', result];
}
