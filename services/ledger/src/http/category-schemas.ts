import { z } from 'zod';
import { categoryKinds, paginationQuery, singleLineText } from '@finance/shared';
import type { CategoryField, CategoryState } from '../domain/categories';
import type { MergePatch } from '../domain/merge-patch';
import type { Category } from '../data/entities';
import { timestamps } from './fields';
import type { WirePaths } from './use-case-calls';

const field = {
  name: singleLineText({ max: 60 }).meta({
    description: 'Unique per user, case-insensitive',
    example: 'Groceries',
  }),
  color: z
    .string()
    .regex(/^#[0-9A-Fa-f]{6}$/, 'Must be a hex colour like #4CAF50')
    .transform((c) => c.toUpperCase())
    .meta({ description: 'Hex colour #RRGGBB', example: '#4CAF50' }),
  icon: singleLineText({ max: 60 }).nullable().meta({ example: 'shopping-cart' }),
  kind: z.enum(categoryKinds).meta({
    description: 'Which transactions may use it: expense, income or both (default both)',
    example: 'expense',
  }),
  parent_id: z.uuid().nullable().meta({ description: 'Parent category (one level of nesting only)' }),
};

/** POST and PUT: every field stated; omitted icon/parent_id are none, omitted kind is both. */
export const categoryBody = z.object({
  name: field.name,
  color: field.color,
  icon: field.icon.optional(),
  kind: field.kind.default('both'),
  parent_id: field.parent_id.optional(),
});

export const categoryPatchBody = z.object({
  name: field.name.optional(),
  color: field.color.optional(),
  icon: field.icon.optional(),
  kind: field.kind.optional(),
  parent_id: field.parent_id.optional(),
});

export const categoryListQuery = z.object({
  ...paginationQuery,
  kind: z.enum(categoryKinds).optional().meta({ description: 'Only categories of this kind' }),
});

export const categoryDeletionQuery = z.object({
  reassign_to: z.uuid().optional().meta({ description: "Category that takes over this one's transactions" }),
});

export const CATEGORY_PATHS = {
  name: 'body.name',
  color: 'body.color',
  icon: 'body.icon',
  kind: 'body.kind',
  parentId: 'body.parent_id',
  reassignTo: 'query.reassign_to',
} satisfies WirePaths<CategoryField>;

export function categoryStateOf(body: z.output<typeof categoryBody>): CategoryState {
  return {
    name: body.name,
    color: body.color,
    icon: body.icon ?? null,
    kind: body.kind,
    parentId: body.parent_id ?? null,
  };
}

export function categoryPatchOf(body: z.output<typeof categoryPatchBody>): MergePatch<CategoryState> {
  return { name: body.name, color: body.color, icon: body.icon, kind: body.kind, parentId: body.parent_id };
}

export const categorySchema = z
  .object({
    id: z.uuid(),
    name: z.string().meta({ example: 'Groceries' }),
    color: z.string().meta({ example: '#4CAF50' }),
    icon: z.string().nullable(),
    kind: z.enum(categoryKinds),
    parent_id: z.uuid().nullable(),
    ...timestamps,
  })
  .meta({ id: 'Category' });

export function presentCategory(c: Category) {
  return {
    id: c.id,
    name: c.name,
    color: c.color,
    icon: c.icon,
    kind: c.kind,
    parent_id: c.parentId,
    created_at: c.createdAt.toISOString(),
    updated_at: c.updatedAt.toISOString(),
    version: c.version,
  };
}
