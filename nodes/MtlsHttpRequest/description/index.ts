import type { INodeProperties } from 'n8n-workflow';

import { optionsProperty } from './options';
import { operationProperty, requestProperties } from './request';

export const properties: INodeProperties[] = [operationProperty, ...requestProperties, optionsProperty];
