// Historical markings (paper §3.2): one global innovation counter that never resets, and a list of this
// generation's innovations so that the same structural mutation arising more than once in one generation
// gets the same number. Keys carry the mutation type (as neat-python ≥ 1.0), so a split never collides
// with a direct link: 'link:in:out' for add-connection, 'split:innovation' for add-node (which also reuses
// the new node's id and the two new connections' innovations). The list is cleared every generation.

export interface SplitInnovation {
  nodeId: number;
  inInnovation: number;
  outInnovation: number;
}

export interface InnovationState {
  nextInnovation: number;
  nextNodeId: number;
  links: Array<[string, number]>;
  splits: Array<[number, SplitInnovation]>;
}

export class InnovationRegistry {
  nextInnovation: number;
  nextNodeId: number;
  private links = new Map<string, number>();
  private splits = new Map<number, SplitInnovation>();

  constructor(nextInnovation: number, nextNodeId: number) {
    this.nextInnovation = nextInnovation;
    this.nextNodeId = nextNodeId;
  }

  /** Forget this generation's list (the same mutation next generation gets a new number). */
  newGeneration(): void {
    this.links.clear();
    this.splits.clear();
  }

  /** Innovation number of a new connection in→out created by add-connection. */
  link(from: number, to: number): number {
    const key = `${from}:${to}`;
    let v = this.links.get(key);
    if (v === undefined) {
      v = this.nextInnovation++;
      this.links.set(key, v);
    }
    return v;
  }

  /**
   * Node id and innovations for splitting the connection with this innovation. `taken` says whether
   * the genome already has a node with the cached id (possible if it re-splits after a re-enable);
   * then fresh numbers are handed out (not cached).
   */
  split(connInnovation: number, taken: (nodeId: number) => boolean): SplitInnovation {
    const cached = this.splits.get(connInnovation);
    if (cached && !taken(cached.nodeId)) return cached;
    const s: SplitInnovation = { nodeId: this.nextNodeId++, inInnovation: this.nextInnovation++, outInnovation: this.nextInnovation++ };
    if (!cached) this.splits.set(connInnovation, s);
    return s;
  }

  getState(): InnovationState {
    return { nextInnovation: this.nextInnovation, nextNodeId: this.nextNodeId, links: [...this.links], splits: [...this.splits] };
  }

  static fromState(s: InnovationState): InnovationRegistry {
    const r = new InnovationRegistry(s.nextInnovation, s.nextNodeId);
    for (const [k, v] of s.links) r.links.set(k, v);
    for (const [k, v] of s.splits) r.splits.set(k, { ...v });
    return r;
  }
}
