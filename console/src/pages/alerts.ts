import type {
  AlertEventFieldsFragment,
  AlertRuleFieldsFragment,
  AlertRuleInput,
} from '@metrics-collector/sdk';
import { describe, follow } from '../api.js';
import { h, labelled, replace } from '../dom.js';
import type { Page } from '../page.js';

/** The rule form's labels, by input name. */
const LABELS: Record<string, string> = {
  name: 'Name',
  kind: 'Kind',
  metric: 'Metric',
  comparator: 'Comparator',
  threshold: 'Threshold',
  recoveryThreshold: 'Recovery threshold',
  forSeconds: 'For (seconds)',
  clientId: 'Client id',
  severity: 'Severity',
};

const cell = (value: unknown) =>
  h('td', {}, value === null || value === undefined || value === '' ? '–' : String(value));
const headRow = (...names: string[]) =>
  h('thead', {}, h('tr', {}, ...names.map((n) => h('th', { scope: 'col' }, n))));

/** Alert rules (created, edited and deleted with an admin token), firing alerts (live), history. */
export const alertsPage: Page = (session, main, signal) => {
  const { client } = session;
  let rules: AlertRuleFieldsFragment[] = [];
  let history: AlertEventFieldsFragment[] = [];
  const note = h('p', { role: 'status', class: 'note' });
  const firingBody = h('tbody');
  const rulesBody = h('tbody');
  const historyBody = h('tbody');
  const show = (error: unknown) => {
    note.textContent = describe(error);
  };
  const form = session.admin ? ruleForm() : null;
  replace(
    main,
    h('h1', {}, 'Alerts'),
    note,
    h('h2', {}, 'Firing'),
    h('table', { class: 'firing-now' }, headRow('Rule', 'Client', 'Since', 'Value'), firingBody),
    h('h2', {}, 'Rules'),
    h(
      'table',
      { class: 'rules' },
      headRow('Name', 'Kind', 'Metric', 'Condition', 'For', 'Client', 'Severity', 'State', ''),
      rulesBody,
    ),
    form?.element ?? null,
    h('h2', {}, 'History'),
    h(
      'table',
      { class: 'history' },
      headRow('At', 'Rule', 'Client', 'Change', 'Value', 'Message'),
      historyBody,
    ),
  );

  function render(): void {
    const firing = rules.flatMap((rule) =>
      rule.states.filter((s) => s.state === 'FIRING').map((s) => ({ rule, s })),
    );
    firingBody.replaceChildren(
      ...firing.map(({ rule, s }) =>
        h('tr', { class: 'firing' }, cell(rule.name), cell(s.clientId), cell(s.since), cell(s.value)),
      ),
    );
    if (!firing.length) firingBody.append(h('tr', {}, h('td', { colspan: 4 }, 'Nothing is firing.')));
    rulesBody.replaceChildren(...rules.map(ruleRow));
    historyBody.replaceChildren(
      ...history.map((e) =>
        h(
          'tr',
          { 'data-state': e.state },
          cell(e.at),
          cell(e.ruleName),
          cell(e.clientId),
          cell(`${e.previous} → ${e.state}`),
          cell(e.value),
          cell(e.message),
        ),
      ),
    );
  }

  function ruleRow(rule: AlertRuleFieldsFragment): HTMLTableRowElement {
    const states = rule.states.map((s) => `${s.clientId}: ${s.state}`).join(', ');
    const condition = rule.kind === 'NO_DATA' ? 'no report' : `${rule.comparator} ${rule.threshold}`;
    const actions = h('td', { class: 'actions' });
    if (session.admin && form) {
      const edit = h('button', { type: 'button', 'aria-label': `Edit rule ${rule.name}` }, 'Edit');
      edit.addEventListener('click', () => form.edit(rule));
      const remove = h('button', { type: 'button', 'aria-label': `Delete rule ${rule.name}` }, 'Delete');
      remove.addEventListener('click', () => {
        if (!confirm(`Delete the rule ${rule.name}?`)) return;
        void client.deleteAlertRule(rule.id).then(reload, show);
      });
      actions.append(edit, remove);
    }
    return h(
      'tr',
      { 'data-rule': rule.name, class: rule.states.some((s) => s.state === 'FIRING') ? 'firing' : null },
      cell(rule.name),
      cell(rule.kind),
      cell(rule.metric),
      cell(condition),
      cell(`${rule.forSeconds} s`),
      cell(rule.clientId ?? 'every client'),
      cell(rule.severity),
      h('td', { class: 'states' }, states || '–'),
      actions,
    );
  }

  async function reload(): Promise<void> {
    try {
      [rules, history] = await Promise.all([client.alertRules(), client.alerts({ limit: 50 })]);
      if (!signal.aborted) render();
    } catch (error) {
      show(error);
    }
  }

  function ruleForm() {
    let editing: string | null = null;
    const field = (name: string, attrs: Record<string, string | boolean> = {}) =>
      h('input', { name, id: `rule-${name}`, ...attrs });
    const choice = (name: string, values: string[]) =>
      h('select', { name, id: `rule-${name}` }, ...values.map((v) => h('option', { value: v }, v)));
    const inputs = {
      name: field('name', { required: true, maxlength: '200' }),
      kind: choice('kind', ['THRESHOLD', 'NO_DATA']),
      metric: choice('metric', []),
      comparator: choice('comparator', ['ABOVE', 'BELOW']),
      threshold: field('threshold', { type: 'number', step: 'any' }),
      recoveryThreshold: field('recoveryThreshold', { type: 'number', step: 'any' }),
      forSeconds: field('forSeconds', { type: 'number', min: '0', value: '0', required: true }),
      clientId: field('clientId', { placeholder: 'every client' }),
      severity: choice('severity', ['WARNING', 'CRITICAL', 'INFO']),
    };
    void client
      .metrics()
      .then(
        (list) =>
          inputs.metric.replaceChildren(...list.map((m) => h('option', { value: m.metric }, m.metric))),
        show,
      );
    const title = h('h2', { id: 'rule-form-title' }, 'New rule');
    const submit = h('button', { type: 'submit' }, 'Create rule');
    const cancel = h('button', { type: 'button' }, 'Cancel edit');
    const element = h(
      'form',
      { class: 'rule-form', 'aria-labelledby': 'rule-form-title' },
      title,
      ...Object.entries(inputs).map(([name, input]) => labelled(LABELS[name] ?? name, input)),
      submit,
      cancel,
    );
    const reset = () => {
      editing = null;
      element.reset();
      title.textContent = 'New rule';
      submit.textContent = 'Create rule';
    };
    cancel.addEventListener('click', reset);
    element.addEventListener('submit', (event) => {
      event.preventDefault();
      const number = (input: HTMLInputElement) => (input.value === '' ? null : Number(input.value));
      const noData = inputs.kind.value === 'NO_DATA';
      const input: AlertRuleInput = {
        name: inputs.name.value,
        kind: inputs.kind.value as AlertRuleInput['kind'],
        metric: noData ? null : (inputs.metric.value as AlertRuleInput['metric']),
        comparator: noData ? null : (inputs.comparator.value as AlertRuleInput['comparator']),
        threshold: noData ? null : number(inputs.threshold),
        recoveryThreshold: noData ? null : number(inputs.recoveryThreshold),
        forSeconds: Number(inputs.forSeconds.value),
        clientId: inputs.clientId.value.trim() || null,
        severity: inputs.severity.value as AlertRuleInput['severity'],
      };
      const saved = editing ? client.updateAlertRule(editing, input) : client.createAlertRule(input);
      saved.then(() => {
        note.textContent = `Rule ${input.name} saved.`;
        reset();
        void reload();
      }, show);
    });
    const edit = (rule: AlertRuleFieldsFragment) => {
      editing = rule.id;
      title.textContent = `Edit rule ${rule.name}`;
      submit.textContent = 'Save rule';
      inputs.name.value = rule.name;
      inputs.kind.value = rule.kind;
      inputs.metric.value = rule.metric ?? '';
      inputs.comparator.value = rule.comparator ?? 'ABOVE';
      inputs.threshold.value = rule.threshold === null ? '' : String(rule.threshold);
      inputs.recoveryThreshold.value = rule.recoveryThreshold === null ? '' : String(rule.recoveryThreshold);
      inputs.forSeconds.value = String(rule.forSeconds);
      inputs.clientId.value = rule.clientId ?? '';
      inputs.severity.value = rule.severity;
      inputs.name.focus();
    };
    return { element, edit };
  }

  follow(
    client.subscriptions.alertEvents(),
    signal,
    (event) => {
      history = [event, ...history].slice(0, 50);
      const rule = rules.find((r) => r.id === event.ruleId);
      if (rule) {
        const others = rule.states.filter((s) => s.clientId !== event.clientId);
        rule.states = [
          ...others,
          { clientId: event.clientId, state: event.state, since: event.at, value: event.value },
        ];
      }
      render();
    },
    show,
  );
  void reload();
};
