// The overview (#/): where the fleet stands from GET /v1/posture/summary, its trend from /v1/posture/trend, and
// the devices needing action from the open critical and high findings. Each part loads on its own, so one
// failing answer leaves the others on screen with the API's reason.
import { query } from './api.js';
import { mountChart, ratioLineChart, stackedAreaChart } from './charts.js';
import { h, problemMessage, replaceChildren, ruleLabel, severityBadge, time } from './dom.js';
import {
  actionsPanel,
  alignmentPanel,
  deviceLink,
  devicesPanel,
  findingsPanel,
  freshnessPanel,
  STALE_AFTER_MS,
  STATE_LABELS,
} from './panels.js';

const FINDINGS_PAGE = 500;

/** A section with a heading; `body` is filled in when its data arrives. */
function section(id, title) {
  const body = h('div', { class: 'section-body', 'aria-busy': 'true' }, h('p', { class: 'muted' }, 'Loading…'));
  const element = h(
    'section',
    { class: `panel panel-${id}`, 'aria-labelledby': `${id}-title` },
    h('h2', { id: `${id}-title` }, title),
    body,
  );
  return { element, body };
}

function fill(body, ...children) {
  body.removeAttribute('aria-busy');
  replaceChildren(body, ...children);
}

function trendCharts(trend, container) {
  if (trend.items.length === 0) {
    replaceChildren(
      container,
      h(
        'p',
        { class: 'muted', 'data-testid': 'trend-empty' },
        'No snapshots yet: the posture-snapshot job records one a day.',
      ),
    );
    return;
  }
  const points = trend.items.map((item) => ({ day: item.day, values: item.devices.byState }));
  const states = ['compliant', 'unknown', 'noncompliant', 'gone'].map((key) => ({
    key,
    label: STATE_LABELS[key],
    className: `state-${key}`,
  }));
  const policies = [...new Set(trend.items.flatMap((item) => item.alignment.map((p) => p.policy)))];
  const series = policies.map((policy, i) => ({
    label: policy,
    className: `series-${i % 8}`,
    values: new Map(
      trend.items.map((item) => [item.day, item.alignment.find((p) => p.policy === policy)?.alignment.score ?? null]),
    ),
  }));
  const devicesBox = h('div', { class: 'chart-box', 'data-testid': 'trend-devices' });
  const alignmentBox = h('div', { class: 'chart-box', 'data-testid': 'trend-alignment' });
  replaceChildren(
    container,
    h(
      'p',
      { class: 'note' },
      `${trend.items.length} daily snapshots from ${trend.items[0].day} to ${trend.items.at(-1).day}; days without one are gaps.`,
    ),
    h('div', { class: 'charts' }, devicesBox, alignmentBox),
  );
  mountChart(devicesBox, (width) => stackedAreaChart({ label: 'Devices by state', points, series: states, width }));
  if (series.length === 0)
    replaceChildren(alignmentBox, h('p', { class: 'muted' }, 'No policy alignment recorded yet.'));
  else
    mountChart(alignmentBox, (width) =>
      ratioLineChart({ label: 'Alignment score per policy', days: trend.items.map((item) => item.day), series, width }),
    );
}

async function openFindings(api, severity) {
  const page = await api.get(`/v1/findings${query({ status: 'open', severity, limit: FINDINGS_PAGE })}`);
  return { severity, items: page.items, more: page.nextCursor !== null };
}

/** Open critical and high findings, grouped by device: devices with a critical one first, then by count. */
function needingAction(pages) {
  const groups = new Map();
  for (const finding of pages.flatMap((page) => page.items)) {
    const key = finding.deviceId ?? `policy:${finding.policy}`;
    let group = groups.get(key);
    if (!group) {
      group = { deviceId: finding.deviceId, policy: finding.policy, device: finding.device, findings: [] };
      groups.set(key, group);
    }
    group.findings.push(finding);
  }
  const rank = (g) => (g.findings.some((f) => f.severity === 'critical') ? 0 : 1);
  const sorted = [...groups.values()].sort((a, b) => rank(a) - rank(b) || b.findings.length - a.findings.length);
  const truncated = pages.filter((page) => page.more).map((page) => page.severity);
  return [
    truncated.length
      ? h('p', { class: 'note' }, `Showing the newest ${FINDINGS_PAGE} ${truncated.join(' and ')} findings.`)
      : null,
    sorted.length === 0
      ? h('p', { class: 'muted' }, 'No open critical or high findings.')
      : h(
          'ul',
          { class: 'device-list', 'data-testid': 'needing-action' },
          sorted.map((g) =>
            h(
              'li',
              { 'data-testid': 'needing-action-device' },
              g.deviceId ? deviceLink(g.deviceId, g.device?.name) : h('span', null, `Policy ${g.policy}`),
              g.device
                ? h(
                    'span',
                    { class: 'muted' },
                    ` ${g.device.platform}${g.device.userPrincipalName ? ` · ${g.device.userPrincipalName}` : ''}`,
                  )
                : null,
              h(
                'ul',
                { class: 'chips' },
                g.findings.map((f) => h('li', null, severityBadge(f.severity), ' ', ruleLabel(f.rule))),
              ),
            ),
          ),
        ),
  ];
}

/** Renders the overview into `main`; `context` is { api, self }. */
export async function renderOverview(main, context) {
  const { api } = context;
  const heading = h('h1', { tabindex: -1 }, 'Fleet posture');
  const asOf = h('p', { class: 'as-of', 'data-testid': 'as-of' });
  const parts = {
    devices: section('devices', 'Devices by state'),
    findings: section('findings', 'Open findings'),
    freshness: section('freshness', 'Freshness of the data'),
    action: section('action', 'Devices needing action'),
    alignment: section('alignment', 'Policy alignment'),
    trend: section('trend', 'Trend (90 days)'),
    actions: section('actions', 'Wipes and retires'),
  };
  replaceChildren(
    main,
    heading,
    asOf,
    h(
      'div',
      { class: 'grid' },
      Object.values(parts).map((part) => part.element),
    ),
  );
  heading.focus();

  const summaryParts = ['devices', 'findings', 'alignment', 'actions', 'freshness'];
  const summary = api.get('/v1/posture/summary').then(
    (body) => {
      replaceChildren(
        asOf,
        'Figures as of ',
        time(body.asOf, 'no evaluation yet'),
        body.asOf && Date.now() - Date.parse(body.asOf) > STALE_AFTER_MS
          ? h('strong', { class: 'status-bad' }, ' (older than an hour: see the freshness of the data)')
          : null,
        ' · generated ',
        time(body.generatedAt),
      );
      fill(parts.devices.body, devicesPanel(body));
      fill(parts.findings.body, findingsPanel(body));
      fill(parts.alignment.body, alignmentPanel(body));
      fill(parts.actions.body, actionsPanel(body));
      fill(parts.freshness.body, freshnessPanel(body, context));
    },
    (error) => {
      for (const name of summaryParts) fill(parts[name].body, problemMessage(error));
    },
  );
  const trend = api.get('/v1/posture/trend?days=90').then(
    (body) => {
      fill(parts.trend.body);
      trendCharts(body, parts.trend.body);
    },
    (error) => fill(parts.trend.body, problemMessage(error)),
  );
  const action = Promise.all([openFindings(api, 'critical'), openFindings(api, 'high')]).then(
    (pages) => fill(parts.action.body, needingAction(pages)),
    (error) => fill(parts.action.body, problemMessage(error)),
  );
  await Promise.all([summary, trend, action]);
}
