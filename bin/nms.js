#!/usr/bin/env node
import '../dist/nms.mjs';
