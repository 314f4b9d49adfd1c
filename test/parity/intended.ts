/**
 * Every way our node is allowed to differ from n8n's HTTP Request node 4.2, each with its reason.
 * The differential suite fails on a difference no entry explains, and on an entry that explains
 * nothing (so the list cannot go stale). `readme` names the rows of the README's parameter table
 * whose column "differs from HTTP Request" must list the entry.
 */
export interface Intended {
	id: string;
	/** `intended`: a deliberate choice. `defect`: known, to be fixed (issue 12 names it). */
	kind: 'intended' | 'defect';
	reason: string;
	/** Case ids it applies to. */
	cases: RegExp;
	/** Paths of the observation (see compare.ts) it explains. */
	paths: RegExp;
	readme: string[];
}

export const INTENDED: Intended[] = [];
