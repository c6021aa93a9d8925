// Topic builders for the MQTT contract (v1). One place spells the topic layout; everything
// else (publisher, command handler, tests, AsyncAPI) builds topics through these functions.
import type { EventKind } from '../events.ts';

export const CONTRACT_VERSION = 'v1';

/** ISA-95 position of the agent's line: the first levels of every topic. */
export interface TopicRoot {
  enterprise: string;
  site: string;
  area: string;
  line: string;
}

export const EVENT_KINDS: readonly EventKind[] = ['telemetry', 'state', 'downtime', 'oee', 'job', 'event', 'audit'];

/** `lineside/v1/{enterprise}/{site}/{area}/{line}` */
export function lineTopic(root: TopicRoot): string {
  return `lineside/${CONTRACT_VERSION}/${root.enterprise}/${root.site}/${root.area}/${root.line}`;
}

/** `.../{machine}/{kind}`: where a machine's events go. */
export function machineTopic(root: TopicRoot, machine: string, kind: EventKind): string {
  return `${lineTopic(root)}/${machine}/${kind}`;
}

/** `.../_agent/{agentId}/status`: retained online/offline of the agent (LWT and birth). */
export function statusTopic(root: TopicRoot, agentId: string): string {
  return `${lineTopic(root)}/_agent/${agentId}/status`;
}

/** `.../{machine}/cmd/{name}`: a command from the MES. */
export function commandTopic(root: TopicRoot, machine: string, name: string): string {
  return `${lineTopic(root)}/${machine}/cmd/${name}`;
}

/** `.../{machine}/cmd/{name}/reply`: the agent's answer to a command. */
export function commandReplyTopic(root: TopicRoot, machine: string, name: string): string {
  return `${commandTopic(root, machine, name)}/reply`;
}

/** The one subscription that receives every command for this line's machines. */
export function commandSubscription(root: TopicRoot): string {
  return `${lineTopic(root)}/+/cmd/+`;
}

/** Machine and command name of a command topic of this line, or undefined when it is not one. */
export function parseCommandTopic(root: TopicRoot, topic: string): { machine: string; name: string } | undefined {
  const prefix = `${lineTopic(root)}/`;
  if (!topic.startsWith(prefix)) return undefined;
  const rest = topic.slice(prefix.length).split('/');
  if (rest.length !== 3 || rest[1] !== 'cmd' || !rest[0] || !rest[2]) return undefined;
  return { machine: rest[0], name: rest[2] };
}
