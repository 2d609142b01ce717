/**
 * A goal's status and its milestone announcements, pure.
 *
 * Status: `cancelled` is the user's choice alone (and undone by them); otherwise a goal is
 * `completed` exactly when its current amount reaches the target and `active` below it, so it
 * moves back to `active` when a contribution goes.
 *
 * Milestones: a goal stands at the highest of 25, 50, 75 and 100 % it has reached (0 below
 * 25 %). Each time it climbs to a higher level than it had announced, that level is announced
 * once (100 % is `goals.goal.completed`); a change that jumps several levels announces only the
 * highest. When it falls back below a level, the level is re-armed: climbing to it again
 * announces it again. A cancelled goal announces nothing; if it is reactivated standing higher
 * than it last announced, the reactivation announces that level.
 */

export const goalStatuses = ['active', 'completed', 'cancelled'] as const;
export type GoalStatus = (typeof goalStatuses)[number];

/** The statuses a user may set: `completed` is reached by contributions, not declared. */
export const settableGoalStatuses = ['active', 'cancelled'] as const;
export type SettableGoalStatus = (typeof settableGoalStatuses)[number];

export const milestones = [25, 50, 75] as const;
export type Milestone = (typeof milestones)[number];
/** 0 (below every milestone), a milestone, or 100 (completed). */
export type MilestoneLevel = 0 | Milestone | 100;

/** The highest level `current` has reached of `target` (exact: current × 100 ≥ level × target). */
export function milestoneLevel(current: bigint, target: bigint): MilestoneLevel {
  for (const level of [100, 75, 50, 25] as const) if (current * 100n >= BigInt(level) * target) return level;
  return 0;
}

/** The status a goal has after a change: the user's `cancelled` stays; otherwise it follows the amounts. */
export function derivedStatus(chosen: SettableGoalStatus, current: bigint, target: bigint): GoalStatus {
  if (chosen === 'cancelled') return 'cancelled';
  return current >= target ? 'completed' : 'active';
}

export type Announcement = { type: 'milestone'; milestone: Milestone } | { type: 'completed' };

/**
 * What a change announces, and the level the goal has announced afterwards.
 * `announced` is the level stored on the goal before the change.
 */
export function announcementOf(
  announced: MilestoneLevel,
  level: MilestoneLevel,
  status: GoalStatus,
): { announcement: Announcement | undefined; announced: MilestoneLevel } {
  if (level < announced) return { announcement: undefined, announced: level };
  if (level === 0 || level === announced || status === 'cancelled')
    return { announcement: undefined, announced };
  if (level === 100) return { announcement: { type: 'completed' }, announced: level };
  return { announcement: { type: 'milestone', milestone: level }, announced: level };
}
