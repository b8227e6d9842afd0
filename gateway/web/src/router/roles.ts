/** Roles that work on cases in an office (they have an inbox and open case pages). */
export const CASE_ROLES = ['petition_clerk', 'handler', 'leader']

/** Roles that read cases of their subtree (search, case pages). */
export const READ_ROLES = [...CASE_ROLES, 'case_manager', 'evaluator', 'auditor']

/** Roles that see case-derived counts (administrators read no case content). */
export const STATS_ROLES = READ_ROLES

/** Roles that watch the figures and subordinates 综合分析: leaders, case managers, auditors. */
export const ANALYSIS_ROLES = ['leader', 'case_manager', 'auditor']

/** Roles the policy table (domain/access.py) grants `export` of statistics and cases 导出;
 * the gateway refuses everyone else, so others get no button. */
export const EXPORT_ROLES = ['leader', 'case_manager']
