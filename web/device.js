// One device (#/devices/<id>): its fields, watched apps, history and findings, from GET /v1/devices/{id} and
// GET /v1/findings?device=<id>&status=all. For an admin token only, requests of a retire or a lock (POST
// /v1/actions, with a reason); for any other role no control that changes anything is rendered at all.
import { query } from './api.js';
import { h, problemMessage, randomKey, replaceChildren, ruleLabel, severityBadge, table, time, yesNo } from './dom.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const ACTIONS = {
  retire: {
    label: 'Request retire',
    explain:
      'A retire removes company data and managed apps only. It needs a second admin’s approval and is sent after a cancel window.',
  },
  lock: { label: 'Request lock', explain: 'A lock locks the device screen through its MDM.' },
};

function fields(device) {
  const user = device.user;
  const entries = [
    ['Platform', `${device.platform}${device.osVersion ? ` ${device.osVersion}` : ''}`],
    ['Model', [device.manufacturer, device.model].filter(Boolean).join(' ') || 'unknown'],
    ['Serial number', device.serialNumber ?? 'unknown'],
    ['Ownership', device.ownership],
    ['Enrollment', device.enrollmentMode],
    ['Supervised', yesNo(device.supervised)],
    ['Encrypted', yesNo(device.encrypted)],
    ['Jailbroken or rooted', yesNo(device.jailbroken)],
    ['Compliance (MDM)', device.compliance],
    ['Management state', device.managementState ?? 'unknown'],
    ['User', [user.displayName, user.principalName].filter(Boolean).join(' · ') || 'unknown'],
    ['Enrolled', time(device.enrolledAt, 'unknown')],
    ['Last check-in', time(device.lastCheckInAt)],
    ['First seen', time(device.firstSeenAt)],
    ['Last seen by a complete sync', time(device.lastSeenAt)],
    ['Gone', time(device.goneAt, 'no')],
  ];
  return h(
    'dl',
    { class: 'fields', 'data-testid': 'device-fields' },
    entries.map(([term, value]) => [h('dt', null, term), h('dd', null, value)]),
  );
}

const json = (value) => h('pre', { class: 'json' }, JSON.stringify(value, null, 2));

function findingsTable(findings) {
  if (findings.length === 0)
    return h('p', { class: 'muted', 'data-testid': 'device-findings-none' }, 'No findings, open or resolved.');
  return table({
    caption: 'Findings of this device, newest first',
    testid: 'device-findings',
    headers: ['Rule', 'Severity', 'Status', 'First seen', 'Last seen', 'Resolved', 'Evidence'],
    rows: findings.map((f) => ({
      props: { 'data-testid': 'device-finding', 'data-status': f.status },
      cells: [
        [null, ruleLabel(f.rule), ' ', h('code', null, f.rule)],
        severityBadge(f.severity),
        f.status,
        time(f.firstSeenAt),
        time(f.lastSeenAt),
        time(f.resolvedAt, '—'),
        h('details', null, h('summary', null, 'Evidence'), json(f.evidence)),
      ],
    })),
  });
}

function appsTable(apps) {
  if (apps.length === 0) return h('p', { class: 'muted' }, 'No watched apps seen on this device.');
  return table({
    caption: 'Watched apps',
    headers: ['App', 'Version', 'Where', 'First seen', 'Removed'],
    rows: apps.map((a) => [
      [null, a.displayName ?? a.identifier, ' ', h('code', null, a.identifier)],
      a.version ?? '—',
      [{ class: a.scope === 'work-profile' ? 'status-bad' : null }, a.scope],
      time(a.firstSeenAt),
      time(a.removedAt, '—'),
    ]),
  });
}

function historyList(history) {
  if (history.length === 0) return h('p', { class: 'muted' }, 'No changes observed since it first appeared.');
  return h(
    'ol',
    { class: 'history' },
    history.map((entry) =>
      h(
        'li',
        null,
        time(entry.observedAt),
        ` ${entry.change}`,
        Object.keys(entry.fields).length
          ? h(
              'ul',
              null,
              Object.entries(entry.fields).map(([field, [before, after]]) =>
                h('li', null, h('code', null, field), `: ${JSON.stringify(before)} → ${JSON.stringify(after)}`),
              ),
            )
          : null,
      ),
    ),
  );
}

function describeAction(action) {
  const kind = action.action;
  const parts = [`${kind[0].toUpperCase()}${kind.slice(1)} requested: ${action.status}.`];
  if (action.status === 'awaiting-approval')
    parts.push(`It needs ${action.approvalsRequired} approval(s) from another admin.`);
  if (action.sendAfter) parts.push(`It is sent after ${new Date(action.sendAfter).toLocaleString()}.`);
  parts.push(`Request ${action.id}.`);
  return parts.join(' ');
}

/** Admins only: a dialog asking why, then POST /v1/actions; the answer or the problem is shown below the buttons. */
function actionControls(device, { api }, result) {
  const dialog = h('dialog', { class: 'action-dialog', 'aria-labelledby': 'action-dialog-title' });
  const open = (kind) => {
    const reason = h('textarea', {
      id: 'action-reason',
      name: 'reason',
      required: true,
      minlength: 3,
      maxlength: 1000,
      rows: 3,
    });
    const form = h(
      'form',
      { method: 'dialog' },
      h('h2', { id: 'action-dialog-title' }, `${ACTIONS[kind].label}: ${device.name ?? device.id}`),
      h('p', null, ACTIONS[kind].explain),
      h('label', { for: 'action-reason' }, 'Reason (recorded in the audit log)'),
      reason,
      h(
        'div',
        { class: 'buttons' },
        h(
          'button',
          { type: 'submit', value: 'send', class: 'danger', 'data-action': `confirm-${kind}` },
          'Send request',
        ),
        h('button', { type: 'button', on: { click: () => dialog.close() } }, 'Cancel'),
      ),
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      dialog.close();
      replaceChildren(result, 'Sending…');
      try {
        const action = await api.post('/v1/actions', {
          action: kind,
          devices: [device.id],
          reason: reason.value.trim(),
          idempotencyKey: randomKey(),
        });
        replaceChildren(result, h('p', { class: 'success' }, describeAction(action)));
      } catch (error) {
        const problem = error.problem ?? {};
        replaceChildren(
          result,
          problemMessage(error),
          // A refusal's detail usually says how to proceed already; add it only when it does not.
          problem.howToProceed && !error.message.includes(problem.howToProceed)
            ? h('p', null, `How to proceed: ${problem.howToProceed}`)
            : null,
        );
      }
    });
    replaceChildren(dialog, form);
    dialog.showModal();
    reason.focus();
  };
  return h(
    'div',
    { class: 'buttons', role: 'group', 'aria-label': 'Remote actions' },
    Object.entries(ACTIONS).map(([kind, { label }]) =>
      h(
        'button',
        {
          type: 'button',
          'data-action': kind,
          class: kind === 'retire' ? 'danger' : null,
          on: { click: () => open(kind) },
        },
        label,
      ),
    ),
    dialog,
  );
}

/** Renders the device with this id into `main`; `context` is { api, self }. */
export async function renderDevice(main, id, context) {
  const back = h('p', null, h('a', { href: '#/' }, '← Fleet posture'));
  if (!UUID.test(id)) {
    replaceChildren(
      main,
      back,
      h('h1', { tabindex: -1 }, 'No such device'),
      h('p', { class: 'problem' }, 'The address does not name a device.'),
    );
    return;
  }
  replaceChildren(main, back, h('p', { class: 'muted', 'aria-busy': 'true' }, 'Loading the device…'));
  const [device, findings] = await Promise.allSettled([
    context.api.get(`/v1/devices/${encodeURIComponent(id)}`),
    context.api.get(`/v1/findings${query({ device: id, status: 'all', limit: 500 })}`),
  ]);
  if (device.status === 'rejected') {
    const heading = h(
      'h1',
      { tabindex: -1 },
      device.reason.status === 404 ? 'No such device' : 'The device could not be read',
    );
    replaceChildren(main, back, heading, problemMessage(device.reason));
    heading.focus();
    return;
  }
  const d = device.value;
  const heading = h('h1', { tabindex: -1, 'data-testid': 'device-name' }, d.name ?? '(unnamed device)');
  const result = h('div', { class: 'result', role: 'status', 'data-testid': 'action-result' });
  replaceChildren(
    main,
    back,
    heading,
    h(
      'p',
      { class: 'muted' },
      `${d.platform} · ${d.ownership} · MDM compliance ${d.compliance}`,
      d.goneAt ? ' · gone' : '',
    ),
    context.self.role === 'admin' ? [actionControls(d, context, result), result] : null,
    h(
      'div',
      { class: 'grid' },
      h(
        'section',
        { class: 'panel panel-wide', 'aria-labelledby': 'findings-title' },
        h('h2', { id: 'findings-title' }, 'Findings'),
        findings.status === 'fulfilled' ? findingsTable(findings.value.items) : problemMessage(findings.reason),
      ),
      h(
        'section',
        { class: 'panel', 'aria-labelledby': 'fields-title' },
        h('h2', { id: 'fields-title' }, 'Device'),
        fields(d),
      ),
      h(
        'section',
        { class: 'panel', 'aria-labelledby': 'apps-title' },
        h('h2', { id: 'apps-title' }, 'Watched apps'),
        appsTable(d.apps),
      ),
      h(
        'section',
        { class: 'panel', 'aria-labelledby': 'history-title' },
        h('h2', { id: 'history-title' }, 'History'),
        historyList(d.history),
      ),
      h(
        'section',
        { class: 'panel', 'aria-labelledby': 'native-title' },
        h('h2', { id: 'native-title' }, 'MDM record'),
        h('details', null, h('summary', null, 'As the last sync received it'), json(d.native)),
      ),
    ),
  );
  heading.focus();
}
