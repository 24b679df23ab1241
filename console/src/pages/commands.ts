import type { AgentCommandFieldsFragment, AgentCommandType } from '@metrics-collector/sdk';
import { describe } from '../api.js';
import { h, labelled, replace } from '../dom.js';
import type { Page } from '../page.js';

const FINAL = new Set(['APPLIED', 'FAILED', 'EXPIRED']);

/**
 * Commands to one host's agent (admin): change its sampling or report interval, then watch the command
 * go PENDING → DELIVERED → APPLIED. The operator's side has no subscription (agentCommands is the
 * agent's stream), so the list is read again every second while a command is not final.
 */
export const commandsPage: Page = (session, main, signal, [preset = '']) => {
  const { client } = session;
  const note = h('p', { role: 'status', class: 'note' });
  const clientSelect = h('select', { id: 'command-client', name: 'client', required: true });
  const type = h(
    'select',
    { id: 'command-type', name: 'type' },
    h('option', { value: 'SET_SAMPLING_INTERVAL' }, 'Sampling interval'),
    h('option', { value: 'SET_REPORT_INTERVAL' }, 'Report interval'),
  );
  const interval = h('input', {
    id: 'command-interval',
    name: 'intervalMs',
    type: 'number',
    min: '50',
    max: '3600000',
    value: '1000',
    required: true,
  });
  const form = h(
    'form',
    { class: 'command-form', 'aria-label': 'Send a command' },
    labelled('Host', clientSelect),
    labelled('Command', type),
    labelled('Interval (ms)', interval),
    h('button', { type: 'submit' }, 'Send command'),
  );
  const body = h('tbody');
  replace(
    main,
    h('h1', {}, 'Commands'),
    form,
    note,
    h(
      'table',
      { class: 'commands' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['Sent', 'Command', 'Interval', 'Status', 'Message'].map((t) => h('th', { scope: 'col' }, t)),
        ),
      ),
      body,
    ),
  );

  let commands: AgentCommandFieldsFragment[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  signal.addEventListener('abort', () => clearTimeout(timer));

  const render = () =>
    body.replaceChildren(
      ...commands.map((c) =>
        h(
          'tr',
          { 'data-command': c.id, 'data-status': c.status },
          h('td', {}, c.createdAt),
          h('td', {}, c.type),
          h('td', {}, `${c.intervalMs} ms`),
          h('td', {}, h('span', { class: `status ${c.status.toLowerCase()}` }, c.status)),
          h('td', {}, c.message ?? ''),
        ),
      ),
    );

  async function refresh(): Promise<void> {
    clearTimeout(timer);
    if (!clientSelect.value || signal.aborted) return;
    try {
      commands = await client.agentCommands({ clientId: clientSelect.value, limit: 20 });
      if (signal.aborted) return;
      render();
      if (commands.some((c) => !FINAL.has(c.status))) timer = setTimeout(() => void refresh(), 1000);
    } catch (error) {
      note.textContent = describe(error);
    }
  }

  clientSelect.addEventListener('change', () => void refresh());
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    client
      .sendAgentCommand(clientSelect.value, {
        type: type.value as AgentCommandType,
        intervalMs: Number(interval.value),
      })
      .then(
        (command) => {
          note.textContent = `Command ${command.id} sent: ${command.status}.`;
          return refresh();
        },
        (error) => {
          note.textContent = describe(error);
        },
      );
  });

  void client.clients({ first: 1000 }).then(
    (list) => {
      clientSelect.replaceChildren(
        ...list.map((c) =>
          h(
            'option',
            { value: c.id, selected: c.id === preset },
            c.hostname ? `${c.hostname} (${c.id})` : c.id,
          ),
        ),
      );
      void refresh();
    },
    (error) => {
      note.textContent = describe(error);
    },
  );
};
