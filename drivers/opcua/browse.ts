// Walks an address space breadth first: every node of one level goes out in one batched Browse
// (split by the server's MaxNodesPerBrowse), continuation points are followed with BrowseNext,
// and variables' data types come in batched Reads. A level costs a few round trips, not one per node.
import {
  AttributeIds,
  BrowseDirection,
  DataType,
  NodeClass,
  NodeClassMask,
  ReferenceTypeIds,
  StatusCodes,
  VariableIds,
  type BrowseResult,
  type ClientSession,
  type NodeId,
  type ReferenceDescription,
} from 'node-opcua';
import { chunk, readMaxNodesPerRead } from './poll.ts';

export interface BrowsedNode {
  nodeId: string;
  browseName: string;
  displayName: string;
  nodeClass: 'Object' | 'Variable';
  dataType?: string;
  children: BrowsedNode[];
}

export interface BrowseOptions {
  root: string;
  depth: number;
  /** References per node per response; the server hands out continuation points for the rest. */
  maxReferencesPerNode?: number;
}

export interface BrowseStats {
  browseRequests: number;
  browseNextRequests: number;
  readRequests: number;
  nodes: number;
}

async function readLimit(session: ClientSession, nodeId: number): Promise<number> {
  const dv = await session.read({ nodeId, attributeId: AttributeIds.Value }).catch(() => undefined);
  const n = dv && dv.statusCode.equals(StatusCodes.Good) ? Number(dv.value.value) : 0;
  return Number.isInteger(n) && n > 0 ? n : 0;
}

function dataTypeName(id: NodeId): string {
  if (id.namespace === 0 && typeof id.value === 'number' && DataType[id.value] !== undefined) return DataType[id.value]!;
  return id.toString();
}

export async function browseTree(session: ClientSession, o: BrowseOptions): Promise<{ root: BrowsedNode; stats: BrowseStats }> {
  const stats: BrowseStats = { browseRequests: 0, browseNextRequests: 0, readRequests: 0, nodes: 0 };
  session.requestedMaxReferencesPerNode = o.maxReferencesPerNode ?? 1000;
  const perBrowse = (await readLimit(session, VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerBrowse)) || 1000;
  const perRead = (await readMaxNodesPerRead(session).catch(() => 0)) || 1000;

  const rootName = await session.read({ nodeId: o.root, attributeId: AttributeIds.BrowseName });
  if (!rootName.statusCode.equals(StatusCodes.Good)) throw new Error(`node ${o.root} not found (${rootName.statusCode.name})`);
  const root: BrowsedNode = { nodeId: o.root, browseName: String(rootName.value.value?.name ?? o.root), displayName: String(rootName.value.value?.name ?? o.root), nodeClass: 'Object', children: [] };
  let level: BrowsedNode[] = [root];
  const variables: BrowsedNode[] = [];
  for (let d = 0; d < o.depth && level.length; d++) {
    const refs = await browseAll(session, level.map((n) => n.nodeId), perBrowse, stats);
    const next: BrowsedNode[] = [];
    level.forEach((parent, i) => {
      for (const r of refs[i]!) {
        const isVar = r.nodeClass === NodeClass.Variable;
        const node: BrowsedNode = { nodeId: r.nodeId.toString(), browseName: r.browseName.name ?? '', displayName: r.displayName.text ?? r.browseName.name ?? '', nodeClass: isVar ? 'Variable' : 'Object', children: [] };
        parent.children.push(node);
        stats.nodes++;
        if (isVar) variables.push(node);
        else next.push(node);
      }
    });
    level = next;
  }
  for (const part of chunk(variables, perRead)) {
    // A level of folders only: a Read of no nodes is refused (BadNothingToDo).
    if (!part.length) continue;
    stats.readRequests++;
    const dvs = await session.read(part.map((v) => ({ nodeId: v.nodeId, attributeId: AttributeIds.DataType })));
    dvs.forEach((dv, i) => {
      if (dv.statusCode.equals(StatusCodes.Good) && dv.value.value) part[i]!.dataType = dataTypeName(dv.value.value as NodeId);
    });
  }
  return { root, stats };
}

/** Forward hierarchical references to objects and variables of every node, all pages of them. */
async function browseAll(session: ClientSession, nodeIds: string[], perBrowse: number, stats: BrowseStats): Promise<ReferenceDescription[][]> {
  const out: ReferenceDescription[][] = [];
  for (const part of chunk(nodeIds, perBrowse)) {
    stats.browseRequests++;
    const results: BrowseResult[] = await session.browse(
      part.map((nodeId) => ({
        nodeId,
        browseDirection: BrowseDirection.Forward,
        referenceTypeId: ReferenceTypeIds.HierarchicalReferences,
        includeSubtypes: true,
        nodeClassMask: NodeClassMask.Object | NodeClassMask.Variable,
        resultMask: 0x3f,
      })),
    );
    const refs = results.map((r) => [...(r.references ?? [])]);
    let pending = results.map((r, i) => ({ i, cp: r.continuationPoint })).filter((p) => p.cp && p.cp.length);
    while (pending.length) {
      stats.browseNextRequests++;
      const more = await session.browseNext(pending.map((p) => p.cp!), false);
      const still: typeof pending = [];
      more.forEach((r, k) => {
        const p = pending[k]!;
        refs[p.i]!.push(...(r.references ?? []));
        if (r.continuationPoint && r.continuationPoint.length) still.push({ i: p.i, cp: r.continuationPoint });
      });
      pending = still;
    }
    out.push(...refs);
  }
  return out;
}

/** Tree as indented text lines: name, node id, data type. */
export function formatTree(root: BrowsedNode): string[] {
  const lines: string[] = [];
  const walk = (n: BrowsedNode, indent: string) => {
    lines.push(`${indent}${n.nodeClass === 'Variable' ? '-' : '+'} ${n.displayName}  ${n.nodeId}${n.dataType ? `  ${n.dataType}` : ''}`);
    for (const c of n.children) walk(c, `${indent}  `);
  };
  walk(root, '');
  return lines;
}

function tagName(path: string[]): string {
  // Tag names are topic levels: letters, digits, '_', '.', '-', starting with a letter or digit.
  const name = path.join('_').replace(/[^A-Za-z0-9_-]+/g, '_').replace(/^[^A-Za-z0-9]+|_+$/g, '').slice(0, 60);
  return name || 'tag';
}

/** A `tags:` block for the variables of the tree (those whose browse path matches `filter`, when given). */
export function configSnippet(root: BrowsedNode, filter?: RegExp): string {
  const rows: Array<{ name: string; nodeId: string; dataType?: string }> = [];
  const seen = new Set<string>();
  const walk = (n: BrowsedNode, path: string[]) => {
    if (n.nodeClass === 'Variable' && (!filter || filter.test(path.join('.')))) {
      let name = tagName(path.slice(-2));
      for (let k = 2; seen.has(name); k++) name = `${tagName(path.slice(-2))}_${k}`;
      seen.add(name);
      rows.push({ name, nodeId: n.nodeId, ...(n.dataType ? { dataType: n.dataType } : {}) });
    }
    for (const c of n.children) walk(c, [...path, c.browseName]);
  };
  walk(root, []);
  return ['tags:', ...rows.map((r) => `  - { name: ${r.name}, nodeId: ${JSON.stringify(r.nodeId)} }${r.dataType ? `   # ${r.dataType}` : ''}`)].join('\n');
}
