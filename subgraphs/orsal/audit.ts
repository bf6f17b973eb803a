import GLPK from 'glpk.js/node';

/**
 * The attacker's view of linked tables, as linear programming: every cell a variable, every published
 * total an equality (total = sum of its parts), open values as the interval of counts they allow, withheld
 * ones between 0 and their population. The feasible range of a withheld cell is what an attacker combining
 * every open value can deduce about it. Solved with GLPK (glpk.js, WebAssembly).
 */
export interface Variable {
  lower: number;
  /** null: no upper bound (a part nobody published). */
  upper: number | null;
}

export interface Relation {
  total: string;
  parts: string[];
}

type Solver = Awaited<ReturnType<typeof GLPK>>;
let solver: Promise<Solver> | undefined;

export class LinkedTables {
  private readonly componentOf = new Map<string, number>();
  private readonly relationsOf = new Map<number, Relation[]>();
  private readonly neighbours = new Map<string, Set<string>>();

  constructor(
    readonly variables: Map<string, Variable>,
    readonly relations: Relation[],
  ) {
    // Union-find over the relations: a range only depends on the cells linked to it.
    const parent = new Map<string, string>();
    const find = (key: string): string => {
      let root = key;
      while (parent.has(root) && parent.get(root) !== root) root = parent.get(root)!;
      parent.set(key, root);
      return root;
    };
    for (const relation of relations) {
      const members = [relation.total, ...relation.parts];
      for (const member of members) {
        if (!parent.has(member)) parent.set(member, member);
        const set = this.neighbours.get(member) ?? new Set<string>();
        for (const other of members) if (other !== member) set.add(other);
        this.neighbours.set(member, set);
      }
      for (const member of relation.parts) parent.set(find(member), find(relation.total));
    }
    const ids = new Map<string, number>();
    for (const key of variables.keys()) {
      const root = find(key);
      if (!ids.has(root)) ids.set(root, ids.size);
      this.componentOf.set(key, ids.get(root)!);
    }
    for (const relation of relations) {
      const id = this.componentOf.get(relation.total)!;
      this.relationsOf.set(id, [...(this.relationsOf.get(id) ?? []), relation]);
    }
  }

  /** Cells sharing a published total with `key`. */
  linkedTo(key: string): string[] {
    return [...(this.neighbours.get(key) ?? [])].sort();
  }

  /** Every cell linked to `key` through any chain of totals. */
  componentCells(key: string): string[] {
    const id = this.componentOf.get(key);
    return [...this.componentOf].filter(([, c]) => c === id).map(([k]) => k).sort();
  }

  /** [min, max] of `key` over everything the open values allow (max Infinity when unbounded). */
  async range(key: string): Promise<[number, number]> {
    const own = this.variables.get(key)!;
    const relations = this.relationsOf.get(this.componentOf.get(key)!) ?? [];
    if (!relations.length) return [own.lower, own.upper ?? Infinity];
    const glpk = await (solver ??= GLPK());
    const cells = [...new Set(relations.flatMap((r) => [r.total, ...r.parts]))];
    const name = new Map(cells.map((cell, i) => [cell, `x${i}`]));
    const bounds = cells.map((cell) => {
      const v = this.variables.get(cell)!;
      return v.upper === null
        ? { name: name.get(cell)!, type: glpk.GLP_LO, lb: v.lower, ub: 0 }
        : v.upper === v.lower
          ? { name: name.get(cell)!, type: glpk.GLP_FX, lb: v.lower, ub: v.upper }
          : { name: name.get(cell)!, type: glpk.GLP_DB, lb: v.lower, ub: v.upper };
    });
    const subjectTo = relations.map((relation, i) => ({
      name: `r${i}`,
      vars: [{ name: name.get(relation.total)!, coef: 1 }, ...relation.parts.map((part) => ({ name: name.get(part)!, coef: -1 }))],
      bnds: { type: glpk.GLP_FX, lb: 0, ub: 0 },
    }));
    const solve = async (direction: number) => {
      const { result } = await glpk.solve(
        { name: 'attacker', objective: { direction, name: 'target', vars: [{ name: name.get(key)!, coef: 1 }] }, subjectTo, bounds },
        { msglev: glpk.GLP_MSG_OFF },
      );
      if (result.status === glpk.GLP_UNBND) return direction === glpk.GLP_MAX ? Infinity : -Infinity;
      if (result.status !== glpk.GLP_OPT) throw new Error(`the attacker's linear program has no solution (status ${result.status}): the published values contradict each other`);
      return result.z;
    };
    return [await solve(glpk.GLP_MIN), await solve(glpk.GLP_MAX)];
  }
}
