/**
 * The card of a Flagger canary revision (one message per revision, updated in place; its thread holds
 * Flagger's events), and the lines posted in that thread. Pure functions of the revision.
 */
import {
  canaryName,
  FLAGGER_GATE_HOOKS,
  type FlaggerEvent,
  type FlaggerRevision,
  GATE_WORDS,
  type GateHook,
  type GateState,
  type GateTarget,
  gateIdOf,
  isFinished,
  type PersonGateAction,
  type RollbackState,
  waitingGates,
} from '../../domain/flagger/index.js';
import {
  actions,
  type Block,
  button,
  code,
  confirmDialog,
  context,
  escaped,
  escapeMrkdwn,
  fitMessage,
  header,
  mention,
  type SlackMessage,
  section,
  slackDate,
} from './block-kit.js';
import { encodeFlaggerButtonValue, FLAGGER_ACTION_IDS } from './flagger-button-value.js';
import { releaseEventLine } from './release-event.js';

const GATE_MARKERS: Readonly<Record<GateState['status'], string>> = {
  waiting: ':raised_hand:',
  approved: ':white_check_mark:',
  rejected: ':no_entry:',
};

/**
 * The card of a revision: canary, checksum, Flagger's phase, each gate Flagger asked about and who decided
 * it, the rollback request, warnings, and the buttons that still mean something (none once it is finished).
 * `version` is the stored record's version, carried by the buttons.
 *
 * @example
 * const { text, blocks } = flaggerCard(revision, 3);
 * await client.chat.update({ channel, ts, text, blocks });
 */
export function flaggerCard(revision: FlaggerRevision, version: number): SlackMessage {
  const name = canaryName(revision);
  const blocks: Block[] = [header(`Flagger canary ${name}`), section(statusText(revision))];
  const gates = FLAGGER_GATE_HOOKS.flatMap((hook) => {
    const gate = revision.gates[hook];
    return gate ? [gateLine(hook, gate)] : [];
  });
  if (revision.rollback?.status === 'requested') gates.push(rollbackLine(revision.rollback));
  if (gates.length > 0) blocks.push(section(gates.join('\n')));
  if (revision.warnings > 0) {
    blocks.push(
      section(
        `:warning: ${revision.warnings} warning${revision.warnings === 1 ? '' : 's'} from Flagger${revision.lastWarning ? `; the last: ${escaped(revision.lastWarning, 1000)}` : ''}`,
      ),
    );
  }
  blocks.push(
    context(
      `First seen ${slackDate(revision.firstSeenAt)}`,
      `${revision.events} event${revision.events === 1 ? '' : 's'} in the thread`,
      `Approvals follow the approval policy of ${escapeMrkdwn(revision.namespace)}`,
    ),
  );
  if (!isFinished(revision)) {
    for (const hook of waitingGates(revision)) {
      const value = encodeFlaggerButtonValue({ g: gateIdOf(revision, hook), v: version });
      blocks.push(
        actions(`flagger-${hook}`, [
          button(FLAGGER_ACTION_IDS.approve, GATE_WORDS[hook].button, value, {
            style: 'primary',
            confirm: confirmDialog(
              GATE_WORDS[hook].button,
              `Let Flagger ${GATE_WORDS[hook].what} of ${name} (revision ${revision.checksum})?`,
              'Approve',
              'Not yet',
            ),
          }),
          button(FLAGGER_ACTION_IDS.reject, 'Reject', value, {
            style: 'danger',
            confirm: confirmDialog(
              'Reject',
              `Keep Flagger halted for revision ${revision.checksum} of ${name}? A new revision needs a new approval.`,
              'Reject',
              'Cancel',
              true,
            ),
          }),
        ]),
      );
    }
    if (revision.rollback?.status === 'offered') {
      blocks.push(
        actions('flagger-rollback', [
          button(
            FLAGGER_ACTION_IDS.rollback,
            'Roll back',
            encodeFlaggerButtonValue({ g: gateIdOf(revision, 'rollback'), v: version }),
            {
              style: 'danger',
              confirm: confirmDialog(
                'Roll back',
                `Ask Flagger to roll back ${name} (revision ${revision.checksum}) on its next check?`,
                'Roll back',
                'Cancel',
                true,
              ),
            },
          ),
        ]),
      );
    }
  }
  const waiting = waitingGates(revision);
  const fallback = waiting.length
    ? `Flagger waits for ${waiting.join(', ')} of ${name} revision ${revision.checksum}`
    : `Flagger canary ${name} revision ${revision.checksum}: ${revision.phase ?? 'new'}`;
  return fitMessage(fallback, blocks);
}

function statusText(revision: FlaggerRevision): string {
  const name = `*${escapeMrkdwn(canaryName(revision))}* revision ${code(revision.checksum)}`;
  if (revision.outcome === 'succeeded') return `:tada: ${name} was promoted.`;
  if (revision.outcome === 'failed') return `:x: ${name} failed and was rolled back by Flagger.`;
  const phase = revision.phase
    ? `Flagger phase *${escaped(revision.phase, 40)}*`
    : 'Flagger has not reported a phase yet';
  const waiting = waitingGates(revision);
  return waiting.length > 0
    ? `:raised_hand: ${name} · ${phase} · waiting for ${waiting.map((h) => `*${h}*`).join(', ')}`
    : `:hourglass_flowing_sand: ${name} · ${phase}`;
}

function gateLine(hook: GateHook, gate: GateState): string {
  const marker = GATE_MARKERS[gate.status];
  switch (gate.status) {
    case 'waiting':
      return `${marker} *${hook}*: asked ${slackDate(gate.since)}; Flagger will ${GATE_WORDS[hook].what} once an approver approves.`;
    case 'approved':
      return `${marker} *${hook}*: approved by ${mention(gate.by)} ${slackDate(gate.at)}${gate.usedAt ? `; Flagger went on ${slackDate(gate.usedAt)}` : '; Flagger goes on at its next check'}.`;
    case 'rejected':
      return `${marker} *${hook}*: rejected by ${mention(gate.by)} ${slackDate(gate.at)}; Flagger stays halted for this revision.`;
    default:
      return gate satisfies never;
  }
}

function rollbackLine(rollback: Extract<RollbackState, { status: 'requested' }>): string {
  return `:rewind: *rollback*: requested by ${mention(rollback.by)} ${slackDate(rollback.at)}${rollback.usedAt ? `; Flagger rolled back ${slackDate(rollback.usedAt)}` : '; Flagger rolls back at its next check'}.`;
}

/**
 * A Flagger event as a line in the revision's thread; Warnings are marked (`:warning: *Warning* …`).
 *
 * @example flaggerEventLine({ type: 'Warning', message: 'Halt podinfo.test advancement …', timestampMs: 1714557600000 })
 */
export function flaggerEventLine(event: FlaggerEvent): SlackMessage {
  return releaseEventLine(
    { type: event.type, reason: 'Synced', message: event.message },
    new Date(event.timestampMs).toISOString(),
  );
}

/**
 * Posted in the thread (and shown in the channel) when Flagger starts waiting at a gate.
 *
 * @example flaggerWaitingLine(revision, 'confirm-promotion').text // 'Flagger waits for confirm-promotion of podinfo.test …'
 */
export function flaggerWaitingLine(revision: FlaggerRevision, hook: GateHook): SlackMessage {
  const name = canaryName(revision);
  const text = `Flagger waits for ${hook} of ${name} revision ${revision.checksum}: an approver can approve or reject it on the card.`;
  return fitMessage(text, [
    section(
      `:raised_hand: Flagger waits for *${hook}* of *${escapeMrkdwn(name)}* revision ${code(revision.checksum)}: an approver can let it ${GATE_WORDS[hook].what}, or reject it, on the card.`,
    ),
  ]);
}

const DECISION_WORDS: Readonly<Record<PersonGateAction, { marker: string; verb: string }>> = {
  approve: { marker: ':white_check_mark:', verb: 'approved' },
  reject: { marker: ':no_entry:', verb: 'rejected' },
  rollback: { marker: ':rewind:', verb: 'asked Flagger to roll back' },
};

/**
 * A person's decision, posted in the revision's thread.
 *
 * @example flaggerDecisionLine(revision, 'confirm-promotion', 'approve', 'U0ALICE001').text // 'U0ALICE001 approved confirm-promotion …'
 */
export function flaggerDecisionLine(
  revision: FlaggerRevision,
  target: GateTarget,
  action: PersonGateAction,
  actor: string,
): SlackMessage {
  const words = DECISION_WORDS[action];
  const what = action === 'rollback' ? '' : ` *${target}*`;
  const name = `${canaryName(revision)} revision ${revision.checksum}`;
  return fitMessage(`${actor} ${words.verb}${action === 'rollback' ? '' : ` ${target}`} of ${name}`, [
    section(`${words.marker} ${mention(actor)} ${words.verb}${what} of ${escapeMrkdwn(name)}.`),
  ]);
}
