import { hostname } from 'node:os';
import type * as k8s from '@kubernetes/client-node';
import type { MeshEvent } from '../app/ports/traffic-router.js';
import { toMeshError } from './istio/kube-errors.js';

/** The route object an event is about, and its metadata as read. */
export interface EventSubject {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  metadata: { uid?: string | undefined; resourceVersion?: string | undefined };
}

/**
 * Records a Flagger-style event on a route object (VirtualService or HTTPRoute), so that `kubectl describe`
 * tells the same story as the channel.
 *
 * @example await recordRouteEvent(core, { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', namespace: 'shop', name: 'web', metadata: route.metadata },
 *   { type: 'Normal', reason: 'Synced', message: 'Advance web.shop canary weight 10' }, 'canary-bot');
 */
export async function recordRouteEvent(
  core: k8s.CoreV1Api,
  subject: EventSubject,
  event: MeshEvent,
  component: string,
  call: k8s.ConfigurationOptions = {},
): Promise<void> {
  const { apiVersion, kind, namespace, name } = subject;
  const { uid, resourceVersion } = subject.metadata;
  try {
    const now = new Date();
    await core.createNamespacedEvent(
      {
        namespace,
        body: {
          metadata: { generateName: `${name}.`, namespace },
          involvedObject: { apiVersion, kind, name, namespace, uid, resourceVersion },
          type: event.type,
          reason: event.reason,
          message: event.message,
          source: { component },
          reportingComponent: component,
          reportingInstance: hostname(),
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      },
      call,
    );
  } catch (error) {
    throw toMeshError(error, `record an event on ${kind} ${namespace}/${name}`);
  }
}

/**
 * Runs `work` and ignores its failure: events a change records are best effort, since the change is what
 * counts and the channel is told anyway.
 *
 * @example await bestEffort(() => router.recordEvent(ref, event));
 */
export async function bestEffort(work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch {
    // deliberately ignored, see above
  }
}
