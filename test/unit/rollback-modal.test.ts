/**
 * The "Roll back a release" shortcut's modal: its three states within Slack's view limits, and the round trip
 * from the view to a submission in Slack's `view.state.values` shape and back to a request.
 */
import fc from 'fast-check';
import {
  noRollbackChoices,
  ROLLBACK_CALLBACK_ID,
  ROLLBACK_INPUTS,
  type RollbackSource,
  rollbackFromSubmission,
  rollbackModal,
  rollbackModalLoading,
} from '../../src/chat/views/rollback-modal.js';
import { type ModalView, VIEW_LIMITS } from '../../src/chat/views/slack-view.js';
import { type Release, startRelease } from '../../src/domain/release/index.js';
import { at, releaseRequest } from './release-fixtures.js';

const source: RollbackSource = { channelId: 'C0INCIDENT', messageTs: '1714557600.000100', teamId: 'T0TEAM' };

function releaseOf(id: string, service = 'reviews', cluster = 'prod'): Release {
  const request = releaseRequest(
    { kind: 'canary' },
    {
      target: { namespace: 'bookinfo', service, virtualService: service, route: { kind: 'default' } },
      meta: { channel: 'C0RELEASES', cluster },
    },
  );
  return startRelease(request, at(0), id).release;
}

interface InputBlock {
  type: 'input';
  block_id: string;
  element: {
    type: string;
    action_id: string;
    options?: { text: { text: string }; description?: { text: string }; value: string }[];
    initial_option?: { value: string };
    multiline?: boolean;
    max_length?: number;
  };
}

function inputs(view: ModalView): InputBlock[] {
  return (view.blocks as { type: string }[]).filter((b): b is InputBlock => b.type === 'input');
}

/** What Slack sends in `view.state.values` for a picked option and a typed reason. */
function submitted(view: ModalView, optionIndex: number | undefined, reason: string | null) {
  const [select, text] = inputs(view);
  const option = optionIndex === undefined ? null : select?.element.options?.[optionIndex];
  return {
    [select?.block_id ?? '']: {
      [select?.element.action_id ?? '']: { type: 'static_select', selected_option: option ?? null },
    },
    [text?.block_id ?? '']: { [text?.element.action_id ?? '']: { type: 'plain_text_input', value: reason } },
  };
}

function expectWithinViewLimits(view: ModalView): void {
  expect(view.title.text.length).toBeLessThanOrEqual(VIEW_LIMITS.title);
  expect(view.submit?.text.length ?? 0).toBeLessThanOrEqual(VIEW_LIMITS.submit);
  expect(view.close?.text.length ?? 0).toBeLessThanOrEqual(VIEW_LIMITS.close);
  expect(view.blocks.length).toBeLessThanOrEqual(VIEW_LIMITS.blocks);
  expect((view.private_metadata ?? '').length).toBeLessThanOrEqual(VIEW_LIMITS.privateMetadata);
  for (const input of inputs(view)) {
    const options = input.element.options ?? [];
    expect(options.length).toBeLessThanOrEqual(VIEW_LIMITS.options);
    for (const o of options) {
      expect(o.text.text.length).toBeLessThanOrEqual(VIEW_LIMITS.optionText);
      expect(o.description?.text.length ?? 0).toBeLessThanOrEqual(VIEW_LIMITS.optionText);
      expect(o.value.length).toBeLessThanOrEqual(VIEW_LIMITS.optionValue);
    }
  }
}

describe('rollback modal', () => {
  it('opens at once saying it is looking, with the source message kept in private_metadata', () => {
    // Act
    const view = rollbackModalLoading(source);

    // Assess
    expect(view.callback_id).toBe(ROLLBACK_CALLBACK_ID);
    expect(view.submit).toBeUndefined();
    expect(JSON.parse(view.private_metadata ?? '')).toEqual(source);
    expect(JSON.stringify(view.blocks)).toContain('Finding the releases you may roll back');
    expect(JSON.stringify(view.blocks)).toContain('<#C0INCIDENT>');
    expectWithinViewLimits(view);
  });

  it('says so when there is nothing to roll back, and offers no submit', () => {
    // Act
    const views = [noRollbackChoices(source), rollbackModal([], source)];

    // Assess
    for (const view of views) {
      expect(view.callback_id).toBe(ROLLBACK_CALLBACK_ID);
      expect(view.submit).toBeUndefined();
      expect(JSON.stringify(view.blocks)).toContain('no active release you may roll back');
    }
  });

  it('lists the releases with <id>:<stateVersion> values and asks for a reason of at most 500 characters', () => {
    // Prepare
    const releases = [releaseOf('R1'), releaseOf('R2', 'ratings', 'east')];

    // Act
    const view = rollbackModal(releases, source);

    // Assess
    const [select, reason] = inputs(view);
    expect(select?.block_id).toBe(ROLLBACK_INPUTS.release.blockId);
    expect(select?.element.type).toBe('static_select');
    expect(select?.element.options?.map((o) => o.value)).toEqual(['R1:1', 'R2:1']);
    expect(select?.element.options?.[1]?.text.text).toBe('ratings.bookinfo v1 → v2');
    expect(select?.element.options?.[1]?.description?.text).toContain('east');
    expect(select?.element.initial_option).toBeUndefined();
    expect(reason?.element).toMatchObject({ type: 'plain_text_input', multiline: true, max_length: 500 });
    expect(view.submit?.text).toBe('Roll back');
    expectWithinViewLimits(view);
  });

  it('preselects the only release, and lists at most 100 with a note for the rest', () => {
    // Act
    const one = rollbackModal([releaseOf('R1')], source);
    const many = rollbackModal(
      Array.from({ length: 130 }, (_, i) => releaseOf(`R${i}`, `svc${i}`)),
      source,
    );

    // Assess
    expect(inputs(one)[0]?.element.initial_option?.value).toBe('R1:1');
    expect(inputs(many)[0]?.element.options).toHaveLength(100);
    expect(JSON.stringify(many.blocks)).toContain('30 more releases are not listed');
    expectWithinViewLimits(many);
  });

  it('reads back what was picked and typed (round trip through Slack state values)', () => {
    // Prepare
    const releases = [releaseOf('R1'), releaseOf('R2', 'ratings')];
    const view = rollbackModal(releases, source);

    // Act
    const request = rollbackFromSubmission(
      submitted(view, 1, '  5xx on checkout  '),
      view.private_metadata ?? '',
    );

    // Assess
    expect(request).toEqual({
      ok: true,
      releaseId: 'R2',
      stateVersion: 1,
      reason: '5xx on checkout',
      source,
    });
  });

  it('refuses a blank reason, a missing pick and unreadable metadata, keyed by block id', () => {
    // Prepare
    const view = rollbackModal([releaseOf('R1'), releaseOf('R2', 'ratings')], source);
    const metadata = view.private_metadata ?? '';

    // Act
    const blank = rollbackFromSubmission(submitted(view, 0, '   \n '), metadata);
    const nothing = rollbackFromSubmission(submitted(view, undefined, null), metadata);
    const tooLong = rollbackFromSubmission(submitted(view, 0, 'x'.repeat(501)), metadata);
    const forged = rollbackFromSubmission(submitted(view, 0, 'why'), '{"channelId":"not a channel"}');
    const notJson = rollbackFromSubmission(submitted(view, 0, 'why'), 'nope');
    const notState = rollbackFromSubmission('values', metadata);

    // Assess
    expect(blank).toEqual({ ok: false, errors: { [ROLLBACK_INPUTS.reason.blockId]: expect.any(String) } });
    expect(nothing).toEqual({
      ok: false,
      errors: {
        [ROLLBACK_INPUTS.release.blockId]: expect.any(String),
        [ROLLBACK_INPUTS.reason.blockId]: expect.any(String),
      },
    });
    expect(tooLong.ok).toBe(false);
    for (const broken of [forged, notJson, notState])
      expect(broken).toEqual({
        ok: false,
        errors: { [ROLLBACK_INPUTS.release.blockId]: expect.any(String) },
      });
  });

  it('round-trips any release id and state version, and any reason that is not blank', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z0-9]{1,40}$/),
        fc.integer({ min: 1, max: 10 ** 12 }),
        fc.string({ minLength: 1, maxLength: 500 }),
        (id, version, reason) => {
          // Prepare
          const release = { ...releaseOf(id), version };
          const view = rollbackModal([release], source);

          // Act
          const request = rollbackFromSubmission(submitted(view, 0, reason), view.private_metadata ?? '');

          // Assess
          expectWithinViewLimits(view);
          if (reason.trim().length === 0) expect(request.ok).toBe(false);
          else
            expect(request).toEqual({
              ok: true,
              releaseId: id,
              stateVersion: version,
              reason: reason.trim(),
              source,
            });
        },
      ),
    );
  });
});
