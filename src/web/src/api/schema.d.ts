/* Generated from the hub's OpenAPI document by `npm run web:types` (src/web/openapiTypes.ts). Do not edit. */

export interface paths {
    "/api/accounts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List parent accounts */
        get: {
            parameters: {
                query?: {
                    cursor?: string;
                    limit?: number;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                /** @description ISO 8601 date-time */
                                createdAt: string;
                                email: string | null;
                                /** @description UUID */
                                id: string;
                                insurances: {
                                    endDate?: string | null;
                                    groupNumber?: string | null;
                                    /** @description UUID */
                                    id: string;
                                    memberId: string;
                                    payerCode: string;
                                    payerName?: string | null;
                                    /** @description primary, secondary or tertiary */
                                    priority: string;
                                    startDate?: string | null;
                                    subscriber?: {
                                        relationship: string;
                                    } | null;
                                }[];
                                name: string;
                                phone: string | null;
                                /** @description ISO 8601 date-time */
                                updatedAt: string;
                                version: number;
                            }[];
                            /** @description pass as ?cursor= for the next page */
                            next: string | null;
                        };
                    };
                };
            };
        };
        put?: never;
        /** Create a parent account with insurance */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** Format: email */
                        email?: string | null;
                        /** @default [] */
                        insurances?: {
                            endDate?: string | null;
                            groupNumber?: string | null;
                            /** Format: uuid */
                            id?: string;
                            memberId: string;
                            payerCode: string;
                            payerName?: string | null;
                            /**
                             * @default primary
                             * @enum {string}
                             */
                            priority?: "primary" | "secondary" | "tertiary";
                            startDate?: string | null;
                            subscriber?: {
                                address?: {
                                    city?: string | null;
                                    country?: string | null;
                                    line1?: string | null;
                                    line2?: string | null;
                                    postalCode?: string | null;
                                    state?: string | null;
                                } | null;
                                dob?: string | null;
                                firstName?: string | null;
                                lastName?: string | null;
                                phone?: string | null;
                                /**
                                 * @default self
                                 * @enum {string}
                                 */
                                relationship?: "self" | "spouse" | "parent" | "child" | "common_law_spouse" | "injured_party" | "other";
                            } | null;
                        }[];
                        name: string;
                        phone?: string | null;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description ISO 8601 date-time */
                            createdAt: string;
                            email: string | null;
                            /** @description UUID */
                            id: string;
                            insurances: {
                                endDate?: string | null;
                                groupNumber?: string | null;
                                /** @description UUID */
                                id: string;
                                memberId: string;
                                payerCode: string;
                                payerName?: string | null;
                                /** @description primary, secondary or tertiary */
                                priority: string;
                                startDate?: string | null;
                                subscriber?: {
                                    relationship: string;
                                } | null;
                            }[];
                            name: string;
                            phone: string | null;
                            /** @description ISO 8601 date-time */
                            updatedAt: string;
                            version: number;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/accounts/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Read a parent account */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description ISO 8601 date-time */
                            createdAt: string;
                            email: string | null;
                            /** @description UUID */
                            id: string;
                            insurances: {
                                endDate?: string | null;
                                groupNumber?: string | null;
                                /** @description UUID */
                                id: string;
                                memberId: string;
                                payerCode: string;
                                payerName?: string | null;
                                /** @description primary, secondary or tertiary */
                                priority: string;
                                startDate?: string | null;
                                subscriber?: {
                                    relationship: string;
                                } | null;
                            }[];
                            name: string;
                            phone: string | null;
                            /** @description ISO 8601 date-time */
                            updatedAt: string;
                            version: number;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /** Update a parent account; its patients are pushed again */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** Format: email */
                        email?: string | null;
                        insurances?: {
                            endDate?: string | null;
                            groupNumber?: string | null;
                            /** Format: uuid */
                            id?: string;
                            memberId: string;
                            payerCode: string;
                            payerName?: string | null;
                            /**
                             * @default primary
                             * @enum {string}
                             */
                            priority?: "primary" | "secondary" | "tertiary";
                            startDate?: string | null;
                            subscriber?: {
                                address?: {
                                    city?: string | null;
                                    country?: string | null;
                                    line1?: string | null;
                                    line2?: string | null;
                                    postalCode?: string | null;
                                    state?: string | null;
                                } | null;
                                dob?: string | null;
                                firstName?: string | null;
                                lastName?: string | null;
                                phone?: string | null;
                                /**
                                 * @default self
                                 * @enum {string}
                                 */
                                relationship?: "self" | "spouse" | "parent" | "child" | "common_law_spouse" | "injured_party" | "other";
                            } | null;
                        }[];
                        name?: string;
                        phone?: string | null;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description ISO 8601 date-time */
                            createdAt: string;
                            email: string | null;
                            /** @description UUID */
                            id: string;
                            insurances: {
                                endDate?: string | null;
                                groupNumber?: string | null;
                                /** @description UUID */
                                id: string;
                                memberId: string;
                                payerCode: string;
                                payerName?: string | null;
                                /** @description primary, secondary or tertiary */
                                priority: string;
                                startDate?: string | null;
                                subscriber?: {
                                    relationship: string;
                                } | null;
                            }[];
                            name: string;
                            phone: string | null;
                            /** @description ISO 8601 date-time */
                            updatedAt: string;
                            version: number;
                        };
                    };
                };
            };
        };
        trace?: never;
    };
    "/api/audit": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Audit trail: settings changes, PHI views and sign-ins, newest first; with the installation's own events (unknown keys presented: `auth.failed`, `auth.blocked`) */
        get: {
            parameters: {
                query?: {
                    action?: string;
                    cursor?: string;
                    limit?: number;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                action: string;
                                actor: string;
                                /** @description UUID */
                                actorKeyId: string | null;
                                /** @description ISO 8601 date-time */
                                at: string;
                                details: unknown;
                                /** @description UUID */
                                id: string;
                                targetId: string | null;
                                targetType: string;
                            }[];
                            /** @description pass as ?cursor= for the next page */
                            next: string | null;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/conflicts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Fields changed on both sides and how each was settled (F16), newest first; `?open=true` for those not reviewed yet */
        get: {
            parameters: {
                query?: {
                    connectionId?: string;
                    cursor?: string;
                    limit?: number;
                    open?: "true" | "false";
                    patientId?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                /** @description the value both sides last agreed on */
                                baseValue: unknown;
                                /** @description UUID */
                                connectionId: string;
                                crmValue: unknown;
                                /** @description ISO 8601 date-time */
                                detectedAt: string;
                                emrValue: unknown;
                                field: string;
                                /** @description UUID */
                                id: string;
                                /** @description UUID */
                                jobId: string | null;
                                /**
                                 * @description whose value the reviewer kept
                                 * @enum {string|null}
                                 */
                                kept: "crm" | "emr" | null;
                                /** @description UUID */
                                patientId: string;
                                /** @description ISO 8601 date-time */
                                reviewedAt: string | null;
                                reviewedBy: string | null;
                                /** @description crm, emr or newest */
                                rule: string;
                                /** @description crm or emr */
                                winner: string;
                            }[];
                            /** @description pass as ?cursor= for the next page */
                            next: string | null;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/conflicts/{id}/review": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Review a conflict (F16): keep the winner (the default), or keep the losing value, which is written to the patient now and pushed to every EMR */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /**
                         * @description whose value to keep; leave out to keep the winner
                         * @enum {string}
                         */
                        keep?: "crm" | "emr";
                    };
                };
            };
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description the value both sides last agreed on */
                            baseValue: unknown;
                            /** @description UUID */
                            connectionId: string;
                            crmValue: unknown;
                            /** @description ISO 8601 date-time */
                            detectedAt: string;
                            emrValue: unknown;
                            field: string;
                            /** @description UUID */
                            id: string;
                            /** @description UUID */
                            jobId: string | null;
                            /**
                             * @description whose value the reviewer kept
                             * @enum {string|null}
                             */
                            kept: "crm" | "emr" | null;
                            /** @description UUID */
                            patientId: string;
                            /** @description ISO 8601 date-time */
                            reviewedAt: string | null;
                            reviewedBy: string | null;
                            /** @description crm, emr or newest */
                            rule: string;
                            /** @description crm or emr */
                            winner: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/connection-health": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Each connection's health: last success, failures in the last hour, queue depth, links by state, last pull */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                connectionId: string;
                                exchangesLastHour: number;
                                failuresLastHour: number;
                                lastFailure: {
                                    /** @description ISO 8601 date-time */
                                    at: string;
                                    exchangeId: string;
                                    message: string | null;
                                } | null;
                                lastPull: {
                                    /** @description ISO 8601 date-time */
                                    createdAt: string;
                                    /** @description ISO 8601 date-time */
                                    finishedAt: string | null;
                                    jobId: string;
                                    state: string;
                                } | null;
                                /** @description the last exchange that went well */
                                lastSuccessAt: string | null;
                                links: {
                                    failed: number;
                                    linked: number;
                                    needs_attention: number;
                                    partial: number;
                                    pending: number;
                                };
                                /** @description jobs waiting for or held by a worker */
                                queue: {
                                    queued: number;
                                    retrying: number;
                                    running: number;
                                };
                            }[];
                            /** @description pass as ?cursor= for the next page */
                            next: string | null;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/connections": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List connections (credentials never returned) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                baseUrl: string;
                                connector: string;
                                /** @description ISO 8601 date-time */
                                createdAt: string;
                                /** @description which credentials are set; values are never returned */
                                credentials: {
                                    [key: string]: "set";
                                };
                                enabled: boolean;
                                /** @description UUID */
                                id: string;
                                /** @description where the EMR sends its webhooks (path on the hub), if it sends any */
                                inboundPath: string | null;
                                /** @description the full webhook URL to give the EMR */
                                inboundUrl: string | null;
                                jwksPath: string | null;
                                /** @description where the EMR fetches the public keys (allow-list it there) */
                                jwksUrl: string | null;
                                name: string;
                                settings: {
                                    [key: string]: unknown;
                                };
                                /** @description credentials the hub made that the other system needs (e.g. a webhook signing secret): in the answer that adds the connection only, never again */
                                shownOnce?: {
                                    [key: string]: string;
                                };
                                /** @description ISO 8601 date-time */
                                updatedAt: string;
                            }[];
                            /** @description pass as ?cursor= for the next page */
                            next: string | null;
                        };
                    };
                };
            };
        };
        put?: never;
        /** Add a connection; credentials are stored encrypted */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** Format: uri */
                        baseUrl: string;
                        connector: string;
                        /** @default {} */
                        credentials?: {
                            [key: string]: unknown;
                        };
                        /** @default true */
                        enabled?: boolean;
                        name: string;
                        /** @default {} */
                        settings?: {
                            [key: string]: unknown;
                        };
                    };
                };
            };
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            baseUrl: string;
                            connector: string;
                            /** @description ISO 8601 date-time */
                            createdAt: string;
                            /** @description which credentials are set; values are never returned */
                            credentials: {
                                [key: string]: "set";
                            };
                            enabled: boolean;
                            /** @description UUID */
                            id: string;
                            /** @description where the EMR sends its webhooks (path on the hub), if it sends any */
                            inboundPath: string | null;
                            /** @description the full webhook URL to give the EMR */
                            inboundUrl: string | null;
                            jwksPath: string | null;
                            /** @description where the EMR fetches the public keys (allow-list it there) */
                            jwksUrl: string | null;
                            name: string;
                            settings: {
                                [key: string]: unknown;
                            };
                            /** @description credentials the hub made that the other system needs (e.g. a webhook signing secret): in the answer that adds the connection only, never again */
                            shownOnce?: {
                                [key: string]: string;
                            };
                            /** @description ISO 8601 date-time */
                            updatedAt: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/connections/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Read a connection */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            baseUrl: string;
                            connector: string;
                            /** @description ISO 8601 date-time */
                            createdAt: string;
                            /** @description which credentials are set; values are never returned */
                            credentials: {
                                [key: string]: "set";
                            };
                            enabled: boolean;
                            /** @description UUID */
                            id: string;
                            /** @description where the EMR sends its webhooks (path on the hub), if it sends any */
                            inboundPath: string | null;
                            /** @description the full webhook URL to give the EMR */
                            inboundUrl: string | null;
                            jwksPath: string | null;
                            /** @description where the EMR fetches the public keys (allow-list it there) */
                            jwksUrl: string | null;
                            name: string;
                            settings: {
                                [key: string]: unknown;
                            };
                            /** @description credentials the hub made that the other system needs (e.g. a webhook signing secret): in the answer that adds the connection only, never again */
                            shownOnce?: {
                                [key: string]: string;
                            };
                            /** @description ISO 8601 date-time */
                            updatedAt: string;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /** Change a connection; credentials replace only the keys sent */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** Format: uri */
                        baseUrl?: string;
                        credentials?: {
                            [key: string]: unknown;
                        };
                        enabled?: boolean;
                        name?: string;
                        /** @description merged into the stored settings; a key set to null is removed (its default applies again) */
                        settings?: {
                            [key: string]: unknown;
                        };
                    };
                };
            };
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            baseUrl: string;
                            connector: string;
                            /** @description ISO 8601 date-time */
                            createdAt: string;
                            /** @description which credentials are set; values are never returned */
                            credentials: {
                                [key: string]: "set";
                            };
                            enabled: boolean;
                            /** @description UUID */
                            id: string;
                            /** @description where the EMR sends its webhooks (path on the hub), if it sends any */
                            inboundPath: string | null;
                            /** @description the full webhook URL to give the EMR */
                            inboundUrl: string | null;
                            jwksPath: string | null;
                            /** @description where the EMR fetches the public keys (allow-list it there) */
                            jwksUrl: string | null;
                            name: string;
                            settings: {
                                [key: string]: unknown;
                            };
                            /** @description credentials the hub made that the other system needs (e.g. a webhook signing secret): in the answer that adds the connection only, never again */
                            shownOnce?: {
                                [key: string]: string;
                            };
                            /** @description ISO 8601 date-time */
                            updatedAt: string;
                        };
                    };
                };
            };
        };
        trace?: never;
    };
    "/api/connections/{id}/capabilities": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** What this connection can push and pull, with reasons (F9) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description UUID */
                            connectionId: string;
                            connector: string;
                            items: {
                                dataType: string;
                                /** @description push or pull */
                                direction: string;
                                note?: string;
                                /** @description why not, when unsupported */
                                reason?: string;
                                supported: boolean;
                            }[];
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/connections/{id}/mappings": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Field and value maps in force (defaults overlaid by this connection) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description UUID */
                            connectionId: string;
                            /** @description whether the field map is the connection's own or the connector's default */
                            custom: boolean;
                            fieldMap: {
                                crm: string;
                                emr: string;
                            }[];
                            overrides: {
                                [key: string]: {
                                    [key: string]: string;
                                };
                            } | null;
                            ownership: {
                                /** @description crm, emr or newest */
                                default: string;
                                fields: {
                                    [key: string]: string;
                                };
                            };
                            valueMaps: {
                                [key: string]: {
                                    [key: string]: string;
                                };
                            };
                        };
                    };
                };
            };
        };
        /** Replace field map and/or value maps (payer codes, programs, locations…); checked against the connector catalog */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        fieldMap?: {
                            crm: string;
                            emr: string;
                        }[] | null;
                        ownership?: {
                            /** @enum {string} */
                            default: "crm" | "emr" | "newest";
                            /** @default {} */
                            fields?: {
                                [key: string]: "crm" | "emr" | "newest";
                            };
                        } | null;
                        valueMaps?: {
                            [key: string]: {
                                [key: string]: string;
                            };
                        };
                    };
                };
            };
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description UUID */
                            connectionId: string;
                            /** @description whether the field map is the connection's own or the connector's default */
                            custom: boolean;
                            fieldMap: {
                                crm: string;
                                emr: string;
                            }[];
                            overrides: {
                                [key: string]: {
                                    [key: string]: string;
                                };
                            } | null;
                            ownership: {
                                /** @description crm, emr or newest */
                                default: string;
                                fields: {
                                    [key: string]: string;
                                };
                            };
                            valueMaps: {
                                [key: string]: {
                                    [key: string]: string;
                                };
                            };
                        };
                    };
                };
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/connections/{id}/pull": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Pull now: start a pull from the EMR; follow it at GET /api/jobs/{jobId}. `?full=true` reads everything again (KIPU: the census) instead of what changed since the last pull */
        post: {
            parameters: {
                query?: {
                    /** @description read everything again, e.g. after mapping values a pull left out */
                    full?: "true" | "false";
                };
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a pull of this connection was already running; this is its job */
                            alreadyRunning: boolean;
                            /** @description UUID */
                            jobId: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/connections/{id}/reference-values": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Values pulled from the EMR that CRM fields offer as dropdowns (practitioners, locations) */
        get: {
            parameters: {
                query?: {
                    kind?: "practitioner" | "location" | "program" | "care_level" | "payor" | "referrer";
                };
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                data: unknown;
                                kind: string;
                                label: string;
                                value: string;
                            }[];
                            /** @description pass as ?cursor= for the next page */
                            next: string | null;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/connections/{id}/test": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Test a connection: authenticate and read; the result names the exact cause */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            code?: string;
                            details?: {
                                [key: string]: unknown;
                            };
                            /** @description success, or the exact cause of failure */
                            message: string;
                            ok: boolean;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/connections/{id}/unmapped-pulled-values": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Values pulled from the EMR that no value map translates (kept out of the CRM): add them to the named value map */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                /** @description the last EMR record seen with it */
                                externalId: string | null;
                                /** @description the CRM field it would fill */
                                field: string;
                                /** @description ISO 8601 date-time */
                                firstSeenAt: string;
                                /** @description ISO 8601 date-time */
                                lastSeenAt: string;
                                reason: string;
                                seen: number;
                                /** @description the value as the EMR holds it */
                                value: string;
                                /** @description the value map to add it to */
                                valueMap: string | null;
                            }[];
                            /** @description pass as ?cursor= for the next page */
                            next: string | null;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/connections/{id}/unmapped-values": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** CRM values in the data that this connection's value maps do not translate yet (payer codes, programs, locations, gender…), most frequent first */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                /** @description records carrying it */
                                count: number;
                                /** @description where the CRM holds the value */
                                source: string;
                                value: string;
                                valueMap: string;
                            }[];
                            /** @description pass as ?cursor= for the next page */
                            next: string | null;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/connections/{id}/waiting": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Records the EMR holds that are not pulled yet, with what each still misses (F15: KIPU pulls a patient only once admitted) */
        get: {
            parameters: {
                query?: {
                    cursor?: string;
                    limit?: number;
                };
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                /** @description the record's id in the EMR */
                                externalId: string;
                                /** @description ISO 8601 date-time */
                                firstSeenAt: string;
                                label: string;
                                /** @description ISO 8601 date-time */
                                lastSeenAt: string;
                                /** @description the CRM patient already linked to it (e.g. pushed before admission) */
                                linkedPatientId: string | null;
                                /** @description what the EMR record still lacks before it is pulled (KIPU: admission date, MR number…) */
                                missing: string[];
                                recordType: string;
                            }[];
                            /** @description pass as ?cursor= for the next page */
                            next: string | null;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/connectors": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Available connectors: settings schema, capabilities, field catalog, default mappings */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                capabilities: {
                                    dataType: string;
                                    /** @description push or pull */
                                    direction: string;
                                    note?: string;
                                    /** @description why not, when unsupported */
                                    reason?: string;
                                    supported: boolean;
                                }[];
                                /** @description JSON Schema of `credentials` */
                                credentialsSchema: {
                                    [key: string]: unknown;
                                };
                                /**
                                 * @description the CRM record its field map addresses: patient fields, or CRM referral fields (GET /api/crm-fields `referralFields`)
                                 * @enum {string}
                                 */
                                crmRecord: "patient" | "referral";
                                /** @description cron (UTC) of scheduled pulls when the settings name none */
                                defaultPullSchedule: string | null;
                                defaults: {
                                    fieldMap: {
                                        crm: string;
                                        emr: string;
                                    }[];
                                    valueMaps: {
                                        [key: string]: unknown;
                                    };
                                };
                                /** @description the EMR fields a field map may target */
                                fields: {
                                    /** @description the only values the EMR accepts */
                                    readonly allowed?: string[];
                                    /** @description push: sent, never returned; pull: filled by the EMR, read only */
                                    direction?: string;
                                    label: string;
                                    /** @description filled by the connector itself: not a field map target */
                                    managedBy?: string;
                                    path: string;
                                    /** @description masked in the staff view of exchanges */
                                    phi?: boolean;
                                    type: string;
                                    valueMap?: string;
                                }[];
                                /** @description credentials the hub makes itself when a connection is added (not asked for) */
                                generatedCredentials: string[];
                                /** @description how the EMR calls the hub (webhooks), or null */
                                inbound: string | null;
                                kind: string;
                                /** @description JSON Schema of `settings` */
                                settingsSchema: {
                                    [key: string]: unknown;
                                };
                                title: string;
                            }[];
                            /** @description pass as ?cursor= for the next page */
                            next: string | null;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/crm-fields": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The CRM's patient fields (custom fields in use included), its picklists, and its referral fields */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description custom fields present in the data, as customFields.<name> */
                            customFields: string[];
                            /** @description CRM patient fields a field map may read */
                            fields: string[];
                            /** @description the CRM's own values of each picklist field */
                            picklists: {
                                [key: string]: string[];
                            };
                            /** @description CRM referral fields: what a referral network connection (crmRecord referral) maps into */
                            referralFields: {
                                label: string;
                                path: string;
                                required: boolean;
                            }[];
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/event-subscriptions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Event subscriptions (signing secrets are never returned) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                createdAt: string;
                                description: string | null;
                                enabled: boolean;
                                events: string[];
                                /** @description UUID */
                                id: string;
                                updatedAt: string;
                                url: string;
                            }[];
                            /** @description pass as ?cursor= for the next page */
                            next: string | null;
                        };
                    };
                };
            };
        };
        put?: never;
        /** Subscribe a URL to events; the answer holds the signing secret, shown this once */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        description?: string | null;
                        /** @default true */
                        enabled?: boolean;
                        events: ("patient.linked" | "patient.updated_from_emr" | "insurance.pulled" | "link.needs_attention" | "link.failed" | "pull.completed" | "referral.imported" | "subscription.test")[];
                        /** Format: uri */
                        url: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            createdAt: string;
                            description: string | null;
                            enabled: boolean;
                            events: string[];
                            /** @description UUID */
                            id: string;
                            /** @description the Standard Webhooks signing secret (whsec_…): shown once, store it with the receiver */
                            secret: string;
                            updatedAt: string;
                            url: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/event-subscriptions/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One event subscription */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            createdAt: string;
                            description: string | null;
                            enabled: boolean;
                            events: string[];
                            /** @description UUID */
                            id: string;
                            updatedAt: string;
                            url: string;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        /** Remove a subscription; deliveries still waiting for it are not sent */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description removed */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": unknown;
                    };
                };
            };
        };
        options?: never;
        head?: never;
        /** Change a subscription (URL, events, enabled, description); only what is sent changes */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        description?: string | null;
                        enabled?: boolean;
                        events?: ("patient.linked" | "patient.updated_from_emr" | "insurance.pulled" | "link.needs_attention" | "link.failed" | "pull.completed" | "referral.imported" | "subscription.test")[];
                        /** Format: uri */
                        url?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            createdAt: string;
                            description: string | null;
                            enabled: boolean;
                            events: string[];
                            /** @description UUID */
                            id: string;
                            updatedAt: string;
                            url: string;
                        };
                    };
                };
            };
        };
        trace?: never;
    };
    "/api/event-subscriptions/{id}/deliveries": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** This subscription's deliveries, newest first: each event's job, its attempts and last error (replay one through its exchange: POST /api/exchanges/{id}/replay) */
        get: {
            parameters: {
                query?: {
                    cursor?: string;
                    limit?: number;
                    state?: "queued" | "running" | "retrying" | "succeeded" | "failed" | "needs_attention";
                };
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                attempts: number;
                                createdAt: string;
                                /** @description false for a job that succeeded without sending (the subscription was disabled or deleted) */
                                delivered: boolean;
                                eventId: string;
                                /** @description null once the event was removed (after the retention period) */
                                eventType: string | null;
                                finishedAt: string | null;
                                jobId: string;
                                lastError: {
                                    code: string;
                                    exchangeId?: string;
                                    httpStatus?: number;
                                    message: string;
                                } | null;
                                nextAttemptAt: string | null;
                                replayOf: string | null;
                                /** @enum {string} */
                                state: "queued" | "running" | "retrying" | "succeeded" | "failed" | "needs_attention";
                            }[];
                            /** @description pass as ?cursor= for the next page */
                            next: string | null;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/event-subscriptions/{id}/rotate-secret": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Replace the signing secret; the new one is shown this once and signs every delivery from now on */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            createdAt: string;
                            description: string | null;
                            enabled: boolean;
                            events: string[];
                            /** @description UUID */
                            id: string;
                            /** @description the Standard Webhooks signing secret (whsec_…): shown once, store it with the receiver */
                            secret: string;
                            updatedAt: string;
                            url: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/event-subscriptions/{id}/test": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Send a subscription.test event to this subscription now; follow the delivery at GET /api/jobs/{jobId} and in the log */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            eventId: string;
                            jobId: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/event-types": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The events a subscription can receive, with what each means */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                description: string;
                                /** @enum {string} */
                                type: "patient.linked" | "patient.updated_from_emr" | "insurance.pulled" | "link.needs_attention" | "link.failed" | "pull.completed" | "referral.imported" | "subscription.test";
                            }[];
                            /** @description pass as ?cursor= for the next page */
                            next: string | null;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/exchange-timeline": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Successes and failures over time, per connection (hourly buckets by default) */
        get: {
            parameters: {
                query?: {
                    bucketMinutes?: number;
                    connectionId?: string;
                    /** @description how far back */
                    hours?: number;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            bucketMinutes: number;
                            items: {
                                /** @description start of the bucket */
                                at: string;
                                connectionId: string | null;
                                error: number;
                                ok: number;
                            }[];
                            /** @description ISO 8601 date-time */
                            since: string;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/exchanges": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Exchanges with external systems, newest first (PHI removed from messages for non-admins) */
        get: {
            parameters: {
                query?: {
                    connectionId?: string;
                    cursor?: string;
                    direction?: "outbound" | "inbound";
                    jobId?: string;
                    limit?: number;
                    operation?: string;
                    patientId?: string;
                    referralId?: string;
                    /** @description exchanges started at or after */
                    since?: string;
                    status?: "ok" | "error";
                    /** @description exchanges started before */
                    until?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                attempts: number;
                                /** @description UUID */
                                connectionId: string | null;
                                connector: string;
                                /** @enum {string} */
                                direction: "outbound" | "inbound";
                                durationMs: number;
                                httpStatus: number | null;
                                /** @description UUID */
                                id: string;
                                /** @description UUID */
                                jobId: string | null;
                                message: string | null;
                                operation: string;
                                /** @description UUID */
                                recordId: string | null;
                                recordType: string | null;
                                /** @description ISO 8601 date-time */
                                startedAt: string;
                                /** @enum {string} */
                                status: "ok" | "error";
                            }[];
                            /** @description pass as ?cursor= for the next page */
                            next: string | null;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/exchanges/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One exchange with request and response bodies (PHI redacted for non-admins) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            attempts: number;
                            /** @description ISO 8601 date-time */
                            bodiesPrunedAt: string | null;
                            /** @description UUID */
                            connectionId: string | null;
                            connector: string;
                            details: {
                                [key: string]: unknown;
                            } | null;
                            /** @enum {string} */
                            direction: "outbound" | "inbound";
                            durationMs: number;
                            httpStatus: number | null;
                            /** @description UUID */
                            id: string;
                            /** @description UUID */
                            jobId: string | null;
                            message: string | null;
                            method: string | null;
                            operation: string;
                            /** @description UUID */
                            recordId: string | null;
                            recordType: string | null;
                            /** @description PHI masked (non-admin keys) */
                            redacted: boolean;
                            /** @description UUID */
                            replayOf: string | null;
                            requestBody: unknown;
                            /** @description headers as sent (inbound: as received), credentials masked */
                            requestHeaders: {
                                [key: string]: string;
                            } | null;
                            responseBody: unknown;
                            /** @description ISO 8601 date-time */
                            startedAt: string;
                            /** @enum {string} */
                            status: "ok" | "error";
                            url: string | null;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/exchanges/{id}/replay": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Run the job of this exchange again (after fixing data or mapping) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description UUID */
                            jobId: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/inbound/{connector}/{connectionId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** An external system's event (KIPU's Patient Creation / Chart Update, a Caredove referral event): verified by the connection's own secret, recorded in the log (direction inbound), applied once per event id; its work (a pull of that patient, a referral imported into the inbox) is done or queued at once. A Caredove referral that cannot be imported is answered 400 {"message"} naming what to fix */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    connectionId: string;
                    connector: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code (absent where the sender reads the message alone, e.g. Caredove) */
                            error?: string;
                            /** @description what to fix, one short sentence (e.g. "Date of birth is required") */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description events applied now, with the job each queued */
                            accepted: {
                                eventId: string;
                                /** @description UUID */
                                jobId: string | null;
                                note?: string;
                                /** @description the CRM referral the event imported or updated */
                                referralId?: string;
                                type: string;
                            }[];
                            /** @description events received before: nothing done twice */
                            duplicates: {
                                eventId: string;
                                /** @description ISO 8601 date-time */
                                firstReceivedAt: string;
                                type: string;
                            }[];
                            received: number;
                        };
                    };
                };
                /** @description Default Response */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description events applied now, with the job each queued */
                            accepted: {
                                eventId: string;
                                /** @description UUID */
                                jobId: string | null;
                                note?: string;
                                /** @description the CRM referral the event imported or updated */
                                referralId?: string;
                                type: string;
                            }[];
                            /** @description events received before: nothing done twice */
                            duplicates: {
                                eventId: string;
                                /** @description ISO 8601 date-time */
                                firstReceivedAt: string;
                                type: string;
                            }[];
                            received: number;
                        };
                    };
                };
                /** @description Default Response */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code (absent where the sender reads the message alone, e.g. Caredove) */
                            error?: string;
                            /** @description what to fix, one short sentence (e.g. "Date of birth is required") */
                            message: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/jobs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Sync jobs, newest first (e.g. the pulls of a connection) */
        get: {
            parameters: {
                query?: {
                    connectionId?: string;
                    cursor?: string;
                    kind?: "push_patient" | "push_referral" | "pull" | "pull_record" | "deliver_event";
                    limit?: number;
                    state?: "queued" | "running" | "retrying" | "succeeded" | "failed" | "needs_attention";
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                attempts: number;
                                /** @description null for a job that concerns no connection (deliver_event) */
                                connectionId: string | null;
                                /** @description ISO 8601 date-time */
                                createdAt: string;
                                /** @description ISO 8601 date-time */
                                finishedAt: string | null;
                                /** @description UUID */
                                id: string;
                                /** @description push_patient, pull, pull_record (one record, e.g. after a webhook), or deliver_event (an outbound event to a subscription) */
                                kind: string;
                                lastError: {
                                    code: string;
                                    exchangeId?: string;
                                    httpStatus?: number;
                                    message: string;
                                } | null;
                                /** @description ISO 8601 date-time */
                                nextAttemptAt: string | null;
                                /** @description a pull: per resource, pages and records done */
                                progress: {
                                    [key: string]: unknown;
                                } | null;
                                /** @description UUID */
                                recordId: string | null;
                                recordType: string | null;
                                /** @description UUID */
                                replayOf: string | null;
                                /** @enum {string} */
                                state: "queued" | "running" | "retrying" | "succeeded" | "failed" | "needs_attention";
                                /** @description flow steps finished, and begun with an unknown outcome */
                                steps: {
                                    done: {
                                        [key: string]: unknown;
                                    };
                                    started: {
                                        [key: string]: unknown;
                                    };
                                };
                            }[];
                            /** @description pass as ?cursor= for the next page */
                            next: string | null;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/jobs/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A sync job: state, attempts, steps done, progress, last error */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            attempts: number;
                            /** @description null for a job that concerns no connection (deliver_event) */
                            connectionId: string | null;
                            /** @description ISO 8601 date-time */
                            createdAt: string;
                            /** @description ISO 8601 date-time */
                            finishedAt: string | null;
                            /** @description UUID */
                            id: string;
                            /** @description push_patient, pull, pull_record (one record, e.g. after a webhook), or deliver_event (an outbound event to a subscription) */
                            kind: string;
                            lastError: {
                                code: string;
                                exchangeId?: string;
                                httpStatus?: number;
                                message: string;
                            } | null;
                            /** @description ISO 8601 date-time */
                            nextAttemptAt: string | null;
                            /** @description a pull: per resource, pages and records done */
                            progress: {
                                [key: string]: unknown;
                            } | null;
                            /** @description UUID */
                            recordId: string | null;
                            recordType: string | null;
                            /** @description UUID */
                            replayOf: string | null;
                            /** @enum {string} */
                            state: "queued" | "running" | "retrying" | "succeeded" | "failed" | "needs_attention";
                            /** @description flow steps finished, and begun with an unknown outcome */
                            steps: {
                                done: {
                                    [key: string]: unknown;
                                };
                                started: {
                                    [key: string]: unknown;
                                };
                            };
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List API keys (never the keys themselves) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                /** @description ISO 8601 date-time */
                                createdAt: string;
                                /** @description UUID */
                                id: string;
                                name: string;
                                /** @description ISO 8601 date-time */
                                revokedAt: string | null;
                                /** @enum {string} */
                                role: "admin" | "staff";
                            }[];
                            /** @description pass as ?cursor= for the next page */
                            next: string | null;
                        };
                    };
                };
            };
        };
        put?: never;
        /** Create an API key; the key is shown once in the answer */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        name: string;
                        /** @enum {string} */
                        role: "admin" | "staff";
                    };
                };
            };
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description UUID */
                            id: string;
                            /** @description shown once; store it */
                            key: string;
                            name: string;
                            /** @enum {string} */
                            role: "admin" | "staff";
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/keys/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Revoke an API key: refused at once by this process, by other API processes on the same database within 5 s (they trust a confirmed key that long) */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description revoked */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": unknown;
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/links": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Patients' EMR links, most recently changed first; `?state=needs_attention` is the list of what waits for a person (F17), each with the job and exchange to replay after the fix */
        get: {
            parameters: {
                query?: {
                    connectionId?: string;
                    cursor?: string;
                    limit?: number;
                    state?: "pending" | "partial" | "linked" | "failed" | "needs_attention";
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                /** @description UUID */
                                connectionId: string;
                                connector: string;
                                /** @description the exchange of that job's last error: POST /api/exchanges/{exchangeId}/replay after the fix */
                                exchangeId: string | null;
                                /** @description the record's id in the EMR */
                                externalId: string | null;
                                /** @description the last sync job of this link */
                                jobId: string | null;
                                /** @description ISO 8601 date-time */
                                lastSyncedAt: string | null;
                                /** @description why the link needs attention or failed */
                                message: string | null;
                                mrn: string | null;
                                /** @description UUID */
                                patientId: string;
                                patientName: string;
                                /** @enum {string} */
                                state: "pending" | "partial" | "linked" | "failed" | "needs_attention";
                                syncedVersion: number | null;
                                /** @description ISO 8601 date-time */
                                updatedAt: string;
                            }[];
                            /** @description pass as ?cursor= for the next page */
                            next: string | null;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/patients": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List patients */
        get: {
            parameters: {
                query?: {
                    accountId?: string;
                    cursor?: string;
                    limit?: number;
                    /** @description search: words that start a name, or part of the email, or 4+ digits of a phone */
                    q?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                /** @description UUID */
                                accountId: string | null;
                                address: {
                                    city?: string | null;
                                    country?: string | null;
                                    line1?: string | null;
                                    line2?: string | null;
                                    postalCode?: string | null;
                                    state?: string | null;
                                } | null;
                                admissionDate: string | null;
                                alternatePhone: string | null;
                                /** @description one of: female, male, unknown */
                                birthSex: string | null;
                                /** @description ISO 8601 date-time */
                                createdAt: string;
                                customFields: {
                                    [key: string]: string | number | boolean | (null);
                                };
                                dischargeDate: string | null;
                                /** @description YYYY-MM-DD */
                                dob: string | null;
                                email: string | null;
                                /** @description one of: hispanic_or_latino, not_hispanic_or_latino, declined */
                                ethnicity: string | null;
                                firstContactName: string | null;
                                firstName: string;
                                /** @description one of: male, female, other, unknown */
                                gender: string | null;
                                /** @description UUID */
                                id: string;
                                language: string | null;
                                lastName: string;
                                /** @description e.g. Residential, IOP */
                                levelOfCare: string | null;
                                locationId: string | null;
                                /** @description one of: married, single, divorced, widowed, separated, domestic_partner, unknown */
                                maritalStatus: string | null;
                                middleName: string | null;
                                /** @description one of: insurance, self_pay, scholarship, other */
                                paymentMethod: string | null;
                                phone: string | null;
                                preferredName: string | null;
                                programId: string | null;
                                /** @description one of: american_indian_or_alaska_native, asian, black_or_african_american, native_hawaiian_or_other_pacific_islander, white, other, declined */
                                race: string | null;
                                referrerName: string | null;
                                /** @description ISO 8601 date-time */
                                updatedAt: string;
                                version: number;
                            }[];
                            /** @description pass as ?cursor= for the next page */
                            next: string | null;
                        };
                    };
                };
            };
        };
        put?: never;
        /** Create a patient; it is pushed to every enabled EMR */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** Format: uuid */
                        accountId?: string | null;
                        address?: {
                            city?: string | null;
                            country?: string | null;
                            line1?: string | null;
                            line2?: string | null;
                            postalCode?: string | null;
                            state?: string | null;
                        } | null;
                        admissionDate?: string | null;
                        alternatePhone?: string | null;
                        /** @enum {string|null} */
                        birthSex?: "female" | "male" | "unknown" | null;
                        /** @default {} */
                        customFields?: {
                            [key: string]: string | number | boolean | (null);
                        };
                        dischargeDate?: string | null;
                        dob?: string | null;
                        /** Format: email */
                        email?: string | null;
                        /** @enum {string|null} */
                        ethnicity?: "hispanic_or_latino" | "not_hispanic_or_latino" | "declined" | null;
                        firstContactName?: string | null;
                        firstName: string;
                        /** @enum {string|null} */
                        gender?: "male" | "female" | "other" | "unknown" | null;
                        language?: string | null;
                        lastName: string;
                        levelOfCare?: string | null;
                        locationId?: string | null;
                        /** @enum {string|null} */
                        maritalStatus?: "married" | "single" | "divorced" | "widowed" | "separated" | "domestic_partner" | "unknown" | null;
                        middleName?: string | null;
                        /** @enum {string|null} */
                        paymentMethod?: "insurance" | "self_pay" | "scholarship" | "other" | null;
                        phone?: string | null;
                        preferredName?: string | null;
                        programId?: string | null;
                        /** @enum {string|null} */
                        race?: "american_indian_or_alaska_native" | "asian" | "black_or_african_american" | "native_hawaiian_or_other_pacific_islander" | "white" | "other" | "declined" | null;
                        referrerName?: string | null;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description UUID */
                            accountId: string | null;
                            address: {
                                city?: string | null;
                                country?: string | null;
                                line1?: string | null;
                                line2?: string | null;
                                postalCode?: string | null;
                                state?: string | null;
                            } | null;
                            admissionDate: string | null;
                            alternatePhone: string | null;
                            /** @description one of: female, male, unknown */
                            birthSex: string | null;
                            /** @description ISO 8601 date-time */
                            createdAt: string;
                            customFields: {
                                [key: string]: string | number | boolean | (null);
                            };
                            dischargeDate: string | null;
                            /** @description YYYY-MM-DD */
                            dob: string | null;
                            email: string | null;
                            /** @description the patient's contacts as an EMR holds them (KIPU), read-only */
                            emrContacts: {
                                /** @description UUID */
                                connectionId: string;
                                externalId: string;
                            }[];
                            emrInsurance: {
                                /** @description UUID */
                                connectionId: string;
                                externalId: string;
                            }[];
                            encounters: {
                                /** @description UUID */
                                connectionId: string;
                                externalId: string;
                            }[];
                            /** @description one of: hispanic_or_latino, not_hispanic_or_latino, declined */
                            ethnicity: string | null;
                            firstContactName: string | null;
                            firstName: string;
                            /** @description one of: male, female, other, unknown */
                            gender: string | null;
                            /** @description UUID */
                            id: string;
                            language: string | null;
                            lastName: string;
                            /** @description e.g. Residential, IOP */
                            levelOfCare: string | null;
                            links: {
                                /** @description UUID */
                                connectionId: string;
                                connector: string;
                                /** @description the record's id in the EMR */
                                externalId: string | null;
                                /** @description ISO 8601 date-time */
                                lastSyncedAt: string | null;
                                /** @description why the link needs attention or failed */
                                message: string | null;
                                mrn: string | null;
                                /** @enum {string} */
                                state: "pending" | "partial" | "linked" | "failed" | "needs_attention";
                                syncedVersion: number | null;
                            }[];
                            locationId: string | null;
                            /** @description one of: married, single, divorced, widowed, separated, domestic_partner, unknown */
                            maritalStatus: string | null;
                            middleName: string | null;
                            /** @description one of: insurance, self_pay, scholarship, other */
                            paymentMethod: string | null;
                            phone: string | null;
                            preferredName: string | null;
                            programId: string | null;
                            /** @description one of: american_indian_or_alaska_native, asian, black_or_african_american, native_hawaiian_or_other_pacific_islander, white, other, declined */
                            race: string | null;
                            referrerName: string | null;
                            /** @description ISO 8601 date-time */
                            updatedAt: string;
                            version: number;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/patients/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Read a patient with its EMR links */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description UUID */
                            accountId: string | null;
                            address: {
                                city?: string | null;
                                country?: string | null;
                                line1?: string | null;
                                line2?: string | null;
                                postalCode?: string | null;
                                state?: string | null;
                            } | null;
                            admissionDate: string | null;
                            alternatePhone: string | null;
                            /** @description one of: female, male, unknown */
                            birthSex: string | null;
                            /** @description ISO 8601 date-time */
                            createdAt: string;
                            customFields: {
                                [key: string]: string | number | boolean | (null);
                            };
                            dischargeDate: string | null;
                            /** @description YYYY-MM-DD */
                            dob: string | null;
                            email: string | null;
                            /** @description the patient's contacts as an EMR holds them (KIPU), read-only */
                            emrContacts: {
                                /** @description UUID */
                                connectionId: string;
                                externalId: string;
                            }[];
                            emrInsurance: {
                                /** @description UUID */
                                connectionId: string;
                                externalId: string;
                            }[];
                            encounters: {
                                /** @description UUID */
                                connectionId: string;
                                externalId: string;
                            }[];
                            /** @description one of: hispanic_or_latino, not_hispanic_or_latino, declined */
                            ethnicity: string | null;
                            firstContactName: string | null;
                            firstName: string;
                            /** @description one of: male, female, other, unknown */
                            gender: string | null;
                            /** @description UUID */
                            id: string;
                            language: string | null;
                            lastName: string;
                            /** @description e.g. Residential, IOP */
                            levelOfCare: string | null;
                            links: {
                                /** @description UUID */
                                connectionId: string;
                                connector: string;
                                /** @description the record's id in the EMR */
                                externalId: string | null;
                                /** @description ISO 8601 date-time */
                                lastSyncedAt: string | null;
                                /** @description why the link needs attention or failed */
                                message: string | null;
                                mrn: string | null;
                                /** @enum {string} */
                                state: "pending" | "partial" | "linked" | "failed" | "needs_attention";
                                syncedVersion: number | null;
                            }[];
                            locationId: string | null;
                            /** @description one of: married, single, divorced, widowed, separated, domestic_partner, unknown */
                            maritalStatus: string | null;
                            middleName: string | null;
                            /** @description one of: insurance, self_pay, scholarship, other */
                            paymentMethod: string | null;
                            phone: string | null;
                            preferredName: string | null;
                            programId: string | null;
                            /** @description one of: american_indian_or_alaska_native, asian, black_or_african_american, native_hawaiian_or_other_pacific_islander, white, other, declined */
                            race: string | null;
                            referrerName: string | null;
                            /** @description ISO 8601 date-time */
                            updatedAt: string;
                            version: number;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /** Update a patient; the change is pushed (PATCH, never a second create) */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** Format: uuid */
                        accountId?: string | null;
                        address?: {
                            city?: string | null;
                            country?: string | null;
                            line1?: string | null;
                            line2?: string | null;
                            postalCode?: string | null;
                            state?: string | null;
                        } | null;
                        admissionDate?: string | null;
                        alternatePhone?: string | null;
                        /** @enum {string|null} */
                        birthSex?: "female" | "male" | "unknown" | null;
                        customFields?: {
                            [key: string]: string | number | boolean | (null);
                        };
                        dischargeDate?: string | null;
                        dob?: string | null;
                        /** Format: email */
                        email?: string | null;
                        /** @enum {string|null} */
                        ethnicity?: "hispanic_or_latino" | "not_hispanic_or_latino" | "declined" | null;
                        firstContactName?: string | null;
                        firstName?: string;
                        /** @enum {string|null} */
                        gender?: "male" | "female" | "other" | "unknown" | null;
                        language?: string | null;
                        lastName?: string;
                        levelOfCare?: string | null;
                        locationId?: string | null;
                        /** @enum {string|null} */
                        maritalStatus?: "married" | "single" | "divorced" | "widowed" | "separated" | "domestic_partner" | "unknown" | null;
                        middleName?: string | null;
                        /** @enum {string|null} */
                        paymentMethod?: "insurance" | "self_pay" | "scholarship" | "other" | null;
                        phone?: string | null;
                        preferredName?: string | null;
                        programId?: string | null;
                        /** @enum {string|null} */
                        race?: "american_indian_or_alaska_native" | "asian" | "black_or_african_american" | "native_hawaiian_or_other_pacific_islander" | "white" | "other" | "declined" | null;
                        referrerName?: string | null;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description UUID */
                            accountId: string | null;
                            address: {
                                city?: string | null;
                                country?: string | null;
                                line1?: string | null;
                                line2?: string | null;
                                postalCode?: string | null;
                                state?: string | null;
                            } | null;
                            admissionDate: string | null;
                            alternatePhone: string | null;
                            /** @description one of: female, male, unknown */
                            birthSex: string | null;
                            /** @description ISO 8601 date-time */
                            createdAt: string;
                            customFields: {
                                [key: string]: string | number | boolean | (null);
                            };
                            dischargeDate: string | null;
                            /** @description YYYY-MM-DD */
                            dob: string | null;
                            email: string | null;
                            /** @description the patient's contacts as an EMR holds them (KIPU), read-only */
                            emrContacts: {
                                /** @description UUID */
                                connectionId: string;
                                externalId: string;
                            }[];
                            emrInsurance: {
                                /** @description UUID */
                                connectionId: string;
                                externalId: string;
                            }[];
                            encounters: {
                                /** @description UUID */
                                connectionId: string;
                                externalId: string;
                            }[];
                            /** @description one of: hispanic_or_latino, not_hispanic_or_latino, declined */
                            ethnicity: string | null;
                            firstContactName: string | null;
                            firstName: string;
                            /** @description one of: male, female, other, unknown */
                            gender: string | null;
                            /** @description UUID */
                            id: string;
                            language: string | null;
                            lastName: string;
                            /** @description e.g. Residential, IOP */
                            levelOfCare: string | null;
                            links: {
                                /** @description UUID */
                                connectionId: string;
                                connector: string;
                                /** @description the record's id in the EMR */
                                externalId: string | null;
                                /** @description ISO 8601 date-time */
                                lastSyncedAt: string | null;
                                /** @description why the link needs attention or failed */
                                message: string | null;
                                mrn: string | null;
                                /** @enum {string} */
                                state: "pending" | "partial" | "linked" | "failed" | "needs_attention";
                                syncedVersion: number | null;
                            }[];
                            locationId: string | null;
                            /** @description one of: married, single, divorced, widowed, separated, domestic_partner, unknown */
                            maritalStatus: string | null;
                            middleName: string | null;
                            /** @description one of: insurance, self_pay, scholarship, other */
                            paymentMethod: string | null;
                            phone: string | null;
                            preferredName: string | null;
                            programId: string | null;
                            /** @description one of: american_indian_or_alaska_native, asian, black_or_african_american, native_hawaiian_or_other_pacific_islander, white, other, declined */
                            race: string | null;
                            referrerName: string | null;
                            /** @description ISO 8601 date-time */
                            updatedAt: string;
                            version: number;
                        };
                    };
                };
            };
        };
        trace?: never;
    };
    "/api/patients/{id}/links/{connectionId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Settle a link by hand (F5): link the patient to a record the EMR already holds (e.g. a candidate named on needs_attention), or clear a stale link with externalId null so the push creates the patient again. A push follows. */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    connectionId: string;
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        externalId: string | null;
                        mrn?: string | null;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description the push that follows */
                            jobId: string;
                            link: {
                                /** @description UUID */
                                connectionId: string;
                                connector: string;
                                /** @description the record's id in the EMR */
                                externalId: string | null;
                                /** @description ISO 8601 date-time */
                                lastSyncedAt: string | null;
                                /** @description why the link needs attention or failed */
                                message: string | null;
                                mrn: string | null;
                                /** @enum {string} */
                                state: "pending" | "partial" | "linked" | "failed" | "needs_attention";
                                syncedVersion: number | null;
                            };
                        };
                    };
                };
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/patients/{id}/preview": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** What a push would send to a connection now: each step body, and what is left out and why (F10) */
        get: {
            parameters: {
                query: {
                    connectionId: string;
                };
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description what stops the push until it is fixed (e.g. a location with no mapping): nothing is sent while any remain */
                            blocking: {
                                field: string;
                                reason: string;
                            }[];
                            /** @description CRM fields left out, and why */
                            dropped: {
                                field: string;
                                reason: string;
                            }[];
                            steps: {
                                body: unknown;
                                method: string;
                                path: string;
                                skipped?: string;
                                step: string;
                            }[];
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/patients/{id}/push": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Push a patient (and optionally its insurance or encounters) to one connection now; refused with the reason when the connector cannot (F9) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** Format: uuid */
                        connectionId: string;
                        /**
                         * @default [
                         *       "patient"
                         *     ]
                         */
                        dataTypes?: ("patient" | "insurance" | "encounter" | "preAssessment")[];
                    };
                };
            };
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description UUID */
                            jobId: string;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/referral-deliveries": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Referrals' deliveries to referral destinations (CRMS), most recently changed first; `?state=needs_attention` is the list of what waits for a person (e.g. CRMS's 400 with its message), each with the job and exchange to replay after the fix */
        get: {
            parameters: {
                query?: {
                    connectionId?: string;
                    cursor?: string;
                    limit?: number;
                    state?: "pending" | "partial" | "linked" | "failed" | "needs_attention";
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                /** @description UUID */
                                connectionId: string;
                                connector: string;
                                /** @description the exchange of that job's last error: POST /api/exchanges/{exchangeId}/replay after the fix */
                                exchangeId: string | null;
                                /** @description the record's id in the EMR */
                                externalId: string | null;
                                /** @description the referral network's id of the referral (Caredove's) */
                                externalReferralId: string;
                                /** @description the last delivery job of this referral to this connection */
                                jobId: string | null;
                                /** @description ISO 8601 date-time */
                                lastSyncedAt: string | null;
                                /** @description why the link needs attention or failed */
                                message: string | null;
                                mrn: string | null;
                                /** @description UUID */
                                referralId: string;
                                registrantName: string;
                                /** @enum {string} */
                                state: "pending" | "partial" | "linked" | "failed" | "needs_attention";
                                syncedVersion: number | null;
                                /** @description ISO 8601 date-time */
                                updatedAt: string;
                            }[];
                            /** @description pass as ?cursor= for the next page */
                            next: string | null;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/referrals": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The referral inbox, most recently changed first; filter by status, source connection, or text */
        get: {
            parameters: {
                query?: {
                    connectionId?: string;
                    cursor?: string;
                    limit?: number;
                    /** @description search: part of the registrant's name, the requester's organization or the network's referral id */
                    q?: string;
                    status?: "open" | "accepted" | "converted";
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            items: {
                                /** @description ISO 8601 date-time */
                                acceptedAt: string | null;
                                /** @description crm or crms */
                                acceptedBy: string | null;
                                /** @description ISO 8601 date-time */
                                createdAt: string;
                                /** @enum {string} */
                                destination: "crm" | "crms";
                                /** @description the CRMS connection it is delivered to */
                                destinationConnectionId: string | null;
                                /** @description the network's id of the referral */
                                externalId: string;
                                /** @description UUID */
                                id: string;
                                /** @description the CRM patient it was converted to */
                                patientId: string | null;
                                registrantName: string;
                                requesterOrganization: string | null;
                                serviceListingId: string | null;
                                /** @description the referral network connection (Caredove) it came from */
                                sourceConnectionId: string;
                                /** @description the network's status as last reported (open, closed, archived) */
                                sourceStatus: string | null;
                                /** @description the network's sub-status as last reported (received, ready, completed…) */
                                sourceSubStatus: string | null;
                                /**
                                 * @description open: updates from the network still apply; accepted (in the CRM or CRMS) and converted: they are recorded as ignored
                                 * @enum {string}
                                 */
                                status: "open" | "accepted" | "converted";
                                /** @description ISO 8601 date-time */
                                updatedAt: string;
                                version: number;
                            }[];
                            /** @description pass as ?cursor= for the next page */
                            next: string | null;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/referrals/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One referral: mapped fields, Referral Note, appointments, messages, attachments, the history of events applied or ignored, and its delivery to CRMS */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description ISO 8601 date-time */
                            acceptedAt: string | null;
                            /** @description crm or crms */
                            acceptedBy: string | null;
                            /** @description appointment history: {start, durationMinutes, location, providerFullName, status booked|rescheduled|unbooked, trigger, eventId, occurredAt} */
                            appointments: unknown[];
                            attachments: {
                                /** @description as the bytes are (checked on import) */
                                contentType: string;
                                filename: string;
                                /**
                                 * Format: uuid
                                 * @description GET /api/referrals/{id}/attachments/{attachment} takes this id or the position
                                 */
                                id: string;
                                /** @enum {string} */
                                kind: "summary" | "attachment";
                                /** @description GET /api/referrals/{id}/attachments/{attachment} takes the position or the id; 1 is the summary PDF */
                                position: number;
                                sha256: string;
                                sizeBytes: number;
                            }[];
                            /** @description ISO 8601 date-time */
                            createdAt: string;
                            /** @description its delivery to CRMS, when that is its destination */
                            delivery: {
                                /** @description UUID */
                                connectionId: string;
                                /** @description CRMS's id */
                                externalId: string | null;
                                message: string | null;
                                /** @description pending, partial, linked, failed or needs_attention */
                                state: string;
                            } | null;
                            /** @enum {string} */
                            destination: "crm" | "crms";
                            /** @description the CRMS connection it is delivered to */
                            destinationConnectionId: string | null;
                            events: {
                                eventId: string;
                                /** @description the inbound call in the integration log */
                                exchangeId: string | null;
                                /** @description ISO 8601 date-time */
                                occurredAt: string | null;
                                /** @enum {string} */
                                outcome: "applied" | "ignored";
                                /** @description why it was ignored */
                                reason: string | null;
                                /** @description ISO 8601 date-time */
                                receivedAt: string;
                                trigger: string;
                            }[];
                            /** @description the network's id of the referral */
                            externalId: string;
                            /** @description CRM referral fields (registrant, requester, appointment) as mapped from the network */
                            fields: {
                                [key: string]: unknown;
                            };
                            /** @description UUID */
                            id: string;
                            /** @description {from provider|requester, author, sentAt, text} */
                            messages: unknown[];
                            /** @description the Referral Note: every answer and field the map does not name, labelled, then the messages */
                            note: string;
                            /** @description the CRM patient it was converted to */
                            patientId: string | null;
                            registrantName: string;
                            requesterOrganization: string | null;
                            serviceListingId: string | null;
                            /** @description the referral network connection (Caredove) it came from */
                            sourceConnectionId: string;
                            /** @description the network's status as last reported (open, closed, archived) */
                            sourceStatus: string | null;
                            /** @description the network's sub-status as last reported (received, ready, completed…) */
                            sourceSubStatus: string | null;
                            /**
                             * @description open: updates from the network still apply; accepted (in the CRM or CRMS) and converted: they are recorded as ignored
                             * @enum {string}
                             */
                            status: "open" | "accepted" | "converted";
                            /** @description ISO 8601 date-time */
                            updatedAt: string;
                            version: number;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/referrals/{id}/accept": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Accept a referral in the CRM: later events from the network are recorded as ignored, with the reason (F24) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description ISO 8601 date-time */
                            acceptedAt: string | null;
                            /** @description crm or crms */
                            acceptedBy: string | null;
                            /** @description appointment history: {start, durationMinutes, location, providerFullName, status booked|rescheduled|unbooked, trigger, eventId, occurredAt} */
                            appointments: unknown[];
                            attachments: {
                                /** @description as the bytes are (checked on import) */
                                contentType: string;
                                filename: string;
                                /**
                                 * Format: uuid
                                 * @description GET /api/referrals/{id}/attachments/{attachment} takes this id or the position
                                 */
                                id: string;
                                /** @enum {string} */
                                kind: "summary" | "attachment";
                                /** @description GET /api/referrals/{id}/attachments/{attachment} takes the position or the id; 1 is the summary PDF */
                                position: number;
                                sha256: string;
                                sizeBytes: number;
                            }[];
                            /** @description ISO 8601 date-time */
                            createdAt: string;
                            /** @description its delivery to CRMS, when that is its destination */
                            delivery: {
                                /** @description UUID */
                                connectionId: string;
                                /** @description CRMS's id */
                                externalId: string | null;
                                message: string | null;
                                /** @description pending, partial, linked, failed or needs_attention */
                                state: string;
                            } | null;
                            /** @enum {string} */
                            destination: "crm" | "crms";
                            /** @description the CRMS connection it is delivered to */
                            destinationConnectionId: string | null;
                            events: {
                                eventId: string;
                                /** @description the inbound call in the integration log */
                                exchangeId: string | null;
                                /** @description ISO 8601 date-time */
                                occurredAt: string | null;
                                /** @enum {string} */
                                outcome: "applied" | "ignored";
                                /** @description why it was ignored */
                                reason: string | null;
                                /** @description ISO 8601 date-time */
                                receivedAt: string;
                                trigger: string;
                            }[];
                            /** @description the network's id of the referral */
                            externalId: string;
                            /** @description CRM referral fields (registrant, requester, appointment) as mapped from the network */
                            fields: {
                                [key: string]: unknown;
                            };
                            /** @description UUID */
                            id: string;
                            /** @description {from provider|requester, author, sentAt, text} */
                            messages: unknown[];
                            /** @description the Referral Note: every answer and field the map does not name, labelled, then the messages */
                            note: string;
                            /** @description the CRM patient it was converted to */
                            patientId: string | null;
                            registrantName: string;
                            requesterOrganization: string | null;
                            serviceListingId: string | null;
                            /** @description the referral network connection (Caredove) it came from */
                            sourceConnectionId: string;
                            /** @description the network's status as last reported (open, closed, archived) */
                            sourceStatus: string | null;
                            /** @description the network's sub-status as last reported (received, ready, completed…) */
                            sourceSubStatus: string | null;
                            /**
                             * @description open: updates from the network still apply; accepted (in the CRM or CRMS) and converted: they are recorded as ignored
                             * @enum {string}
                             */
                            status: "open" | "accepted" | "converted";
                            /** @description ISO 8601 date-time */
                            updatedAt: string;
                            version: number;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/referrals/{id}/attachments/{attachment}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A referral's file by its position — 1 is the Referral Summary PDF, then the referral's own attachments — or by its id (attachments[].id) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    attachment: string | number;
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description the file, with its content type */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": unknown;
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/referrals/{id}/convert": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Convert a referral to a CRM patient: a parent account and a patient are made from the registrant (as POST /api/patients does, so the patient is pushed to every enabled EMR), and the referral is linked to it */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description the parent account's name (default: the registrant's name) */
                        accountName?: string;
                        /** @description patient fields that replace the registrant's (e.g. a phone the referral wrote unusably) */
                        patient?: {
                            address?: {
                                city?: string | null;
                                country?: string | null;
                                line1?: string | null;
                                line2?: string | null;
                                postalCode?: string | null;
                                state?: string | null;
                            } | null;
                            admissionDate?: string | null;
                            alternatePhone?: string | null;
                            /** @enum {string|null} */
                            birthSex?: "female" | "male" | "unknown" | null;
                            /** @default {} */
                            customFields?: {
                                [key: string]: string | number | boolean | (null);
                            };
                            dischargeDate?: string | null;
                            dob?: string | null;
                            /** Format: email */
                            email?: string | null;
                            /** @enum {string|null} */
                            ethnicity?: "hispanic_or_latino" | "not_hispanic_or_latino" | "declined" | null;
                            firstContactName?: string | null;
                            firstName?: string;
                            /** @enum {string|null} */
                            gender?: "male" | "female" | "other" | "unknown" | null;
                            language?: string | null;
                            lastName?: string;
                            levelOfCare?: string | null;
                            locationId?: string | null;
                            /** @enum {string|null} */
                            maritalStatus?: "married" | "single" | "divorced" | "widowed" | "separated" | "domestic_partner" | "unknown" | null;
                            middleName?: string | null;
                            /** @enum {string|null} */
                            paymentMethod?: "insurance" | "self_pay" | "scholarship" | "other" | null;
                            phone?: string | null;
                            preferredName?: string | null;
                            programId?: string | null;
                            /** @enum {string|null} */
                            race?: "american_indian_or_alaska_native" | "asian" | "black_or_african_american" | "native_hawaiian_or_other_pacific_islander" | "white" | "other" | "declined" | null;
                            referrerName?: string | null;
                        };
                    };
                };
            };
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description UUID */
                            accountId: string;
                            /** @description UUID */
                            patientId: string;
                            referral: {
                                /** @description ISO 8601 date-time */
                                acceptedAt: string | null;
                                /** @description crm or crms */
                                acceptedBy: string | null;
                                /** @description appointment history: {start, durationMinutes, location, providerFullName, status booked|rescheduled|unbooked, trigger, eventId, occurredAt} */
                                appointments: unknown[];
                                attachments: {
                                    /** @description as the bytes are (checked on import) */
                                    contentType: string;
                                    filename: string;
                                    /**
                                     * Format: uuid
                                     * @description GET /api/referrals/{id}/attachments/{attachment} takes this id or the position
                                     */
                                    id: string;
                                    /** @enum {string} */
                                    kind: "summary" | "attachment";
                                    /** @description GET /api/referrals/{id}/attachments/{attachment} takes the position or the id; 1 is the summary PDF */
                                    position: number;
                                    sha256: string;
                                    sizeBytes: number;
                                }[];
                                /** @description ISO 8601 date-time */
                                createdAt: string;
                                /** @description its delivery to CRMS, when that is its destination */
                                delivery: {
                                    /** @description UUID */
                                    connectionId: string;
                                    /** @description CRMS's id */
                                    externalId: string | null;
                                    message: string | null;
                                    /** @description pending, partial, linked, failed or needs_attention */
                                    state: string;
                                } | null;
                                /** @enum {string} */
                                destination: "crm" | "crms";
                                /** @description the CRMS connection it is delivered to */
                                destinationConnectionId: string | null;
                                events: {
                                    eventId: string;
                                    /** @description the inbound call in the integration log */
                                    exchangeId: string | null;
                                    /** @description ISO 8601 date-time */
                                    occurredAt: string | null;
                                    /** @enum {string} */
                                    outcome: "applied" | "ignored";
                                    /** @description why it was ignored */
                                    reason: string | null;
                                    /** @description ISO 8601 date-time */
                                    receivedAt: string;
                                    trigger: string;
                                }[];
                                /** @description the network's id of the referral */
                                externalId: string;
                                /** @description CRM referral fields (registrant, requester, appointment) as mapped from the network */
                                fields: {
                                    [key: string]: unknown;
                                };
                                /** @description UUID */
                                id: string;
                                /** @description {from provider|requester, author, sentAt, text} */
                                messages: unknown[];
                                /** @description the Referral Note: every answer and field the map does not name, labelled, then the messages */
                                note: string;
                                /** @description the CRM patient it was converted to */
                                patientId: string | null;
                                registrantName: string;
                                requesterOrganization: string | null;
                                serviceListingId: string | null;
                                /** @description the referral network connection (Caredove) it came from */
                                sourceConnectionId: string;
                                /** @description the network's status as last reported (open, closed, archived) */
                                sourceStatus: string | null;
                                /** @description the network's sub-status as last reported (received, ready, completed…) */
                                sourceSubStatus: string | null;
                                /**
                                 * @description open: updates from the network still apply; accepted (in the CRM or CRMS) and converted: they are recorded as ignored
                                 * @enum {string}
                                 */
                                status: "open" | "accepted" | "converted";
                                /** @description ISO 8601 date-time */
                                updatedAt: string;
                                version: number;
                            };
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/session": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Who is signed in (or whose key this is), with the CSRF token of the session */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description send it in the x-csrf-token header with every change made with the session cookie; null for a key */
                            csrfToken: string | null;
                            /** @description when the session ends at the latest (it also ends after an hour unused) */
                            expiresAt: string | null;
                            /** @description the API key's name */
                            name: string;
                            /** @enum {string} */
                            role: "admin" | "staff";
                            /**
                             * @description how this request was authenticated
                             * @enum {string}
                             */
                            via: "session" | "key";
                        };
                    };
                };
            };
        };
        put?: never;
        /** Sign in: exchange an API key for a session cookie (admin UI) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        key: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description send it in the x-csrf-token header with every change made with the session cookie; null for a key */
                            csrfToken: string | null;
                            /** @description when the session ends at the latest (it also ends after an hour unused) */
                            expiresAt: string | null;
                            /** @description the API key's name */
                            name: string;
                            /** @enum {string} */
                            role: "admin" | "staff";
                            /**
                             * @description how this request was authenticated
                             * @enum {string}
                             */
                            via: "session" | "key";
                        };
                    };
                };
            };
        };
        /** Sign out: the session ends at once and its cookie is cleared */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                "4XX": {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description a stable code, e.g. invalid_input, not_found, unsupported */
                            error: string;
                            /** @description the input field at fault */
                            field?: string;
                            /** @description what to fix */
                            message: string;
                        };
                    };
                };
                /** @description signed out */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": unknown;
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: never;
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export type operations = Record<string, never>;
