#!/usr/bin/env node
import '../dist/nms-agent.mjs';
