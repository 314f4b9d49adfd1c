/**
 * Which of the node's parameters the editor should show for given values, read from the node's own
 * description, so the browser test checks every parameter without a hand-kept list.
 */
import type { INodeProperties, INodePropertyCollection } from 'n8n-workflow';

export type Values = Record<string, unknown>;

/**
 * n8n's displayParameter for the forms this package uses: `show`/`hide` with lists of plain values,
 * keys naming a sibling or, with a leading "/", a top-level parameter.
 */
export function isShown(property: INodeProperties, values: Values, root: Values): boolean {
	const { show, hide } = property.displayOptions ?? {};
	const valueOf = (key: string) => (key.startsWith('/') ? root[key.slice(1)] : values[key]);
	if (show && !Object.entries(show).every(([key, allowed]) => (allowed as unknown[] | undefined)?.includes(valueOf(key)))) return false;
	if (hide && Object.entries(hide).some(([key, denied]) => (denied as unknown[] | undefined)?.includes(valueOf(key)))) return false;
	return true;
}

/** The values the editor works with: what was set, else each parameter's default. */
export function withDefaults(properties: INodeProperties[], set: Values): Values {
	const values: Values = {};
	for (const property of properties) {
		if (!(property.name in values)) values[property.name] = property.default;
	}
	return { ...values, ...set };
}

/** The top-level parameters shown for `set` (the rest at their defaults). */
export function shownParameters(properties: INodeProperties[], set: Values): INodeProperties[] {
	const values = withDefaults(properties, set);
	return properties.filter((property) => isShown(property, values, values));
}

/**
 * The fields inside an added option that the editor shows at their defaults: the values of a
 * single-valued fixed collection (and, one level down, of the collections it holds).
 */
export function shownFields(option: INodeProperties, root: Values): INodeProperties[] {
	if (option.type !== 'fixedCollection') return [];
	const fields: INodeProperties[] = [];
	for (const group of (option.options ?? []) as INodePropertyCollection[]) {
		const values = withDefaults(group.values, {});
		for (const field of group.values.filter((value) => isShown(value, values, root))) fields.push(field, ...shownFields(field, root));
	}
	return fields;
}

/** The data-test-id n8n 2.40's parameter panel gives a parameter's input (a collection: its "Add option"). */
export function testIdOf(property: INodeProperties): string {
	if (property.type === 'fixedCollection') return `fixed-collection-${property.name}`;
	if (property.type === 'collection') return 'collection-parameter-add';
	return `parameter-input-${property.name}`;
}
