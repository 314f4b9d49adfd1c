import type { INodeProperties } from 'n8n-workflow';

import { createCsrProperties } from './createCsr';
import { certificateInfoOptionsProperty, optionsProperty } from './options';
import { certificateInfoProperties, operationProperty, requestProperties } from './request';

export const properties: INodeProperties[] = [operationProperty, ...requestProperties, optionsProperty, ...certificateInfoProperties, certificateInfoOptionsProperty, ...createCsrProperties];
