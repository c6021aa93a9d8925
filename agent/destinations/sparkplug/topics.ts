// Sparkplug B topic namespace (spec 3.0 §4): spBv1.0/{group}/{verb}/{edge node}[/{device}], and
// the Primary Host Application's STATE topic spBv1.0/STATE/{host id}.
export const NAMESPACE = 'spBv1.0';

export type NodeVerb = 'NBIRTH' | 'NDEATH' | 'NDATA' | 'NCMD';
export type DeviceVerb = 'DBIRTH' | 'DDEATH' | 'DDATA' | 'DCMD';

export interface EdgeNode {
  groupId: string;
  edgeNodeId: string;
}

export function nodeTopic(n: EdgeNode, verb: NodeVerb): string {
  return `${NAMESPACE}/${n.groupId}/${verb}/${n.edgeNodeId}`;
}

export function deviceTopic(n: EdgeNode, verb: DeviceVerb, device: string): string {
  return `${NAMESPACE}/${n.groupId}/${verb}/${n.edgeNodeId}/${device}`;
}

export function stateTopic(hostId: string): string {
  return `${NAMESPACE}/STATE/${hostId}`;
}

/** NCMD for the node, or DCMD for one of its devices; undefined for any other topic. */
export function parseCommandTopic(n: EdgeNode, topic: string): { verb: 'NCMD' } | { verb: 'DCMD'; device: string } | undefined {
  if (topic === nodeTopic(n, 'NCMD')) return { verb: 'NCMD' };
  const prefix = `${NAMESPACE}/${n.groupId}/DCMD/${n.edgeNodeId}/`;
  if (!topic.startsWith(prefix)) return undefined;
  const device = topic.slice(prefix.length);
  return device && !device.includes('/') ? { verb: 'DCMD', device } : undefined;
}
