/// The OpenAPI document served at `/api/v1/openapi.json`, a copy of
/// `docs/openapi.json` (a test keeps the two the same).
enum OpenAPIDocument {
    static let json = #"""
        {
          "openapi": "3.1.0",
          "info": {
            "title": "Ferry API",
            "version": "1",
            "description": "Ferry sends customer segments as files into your own S3 bucket. Every call needs `Authorization: Bearer <token>` (`ferry tokens create NAME [--read-only]`); read-only tokens get 403 on anything that changes state. Errors are `{\"error\": {\"code\", \"message\", \"field\"?}}`. Lists take `limit` (1-1000, default 100) and the `cursor` of the previous page. A message names an option as the CLI spells it (`--file-type`), the same text `ferry` prints; `field` names the JSON field."
          },
          "servers": [
            {
              "url": "/api/v1"
            }
          ],
          "security": [
            {
              "bearer": []
            }
          ],
          "paths": {
            "/destinations": {
              "get": {
                "operationId": "listDestinations",
                "summary": "List destinations.",
                "responses": {
                  "200": {
                    "description": "A page of destinations.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/DestinationPage"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/BadRequest"
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "default": {
                    "$ref": "#/components/responses/Error"
                  }
                },
                "parameters": [
                  {
                    "$ref": "#/components/parameters/Limit"
                  },
                  {
                    "$ref": "#/components/parameters/Cursor"
                  }
                ]
              },
              "post": {
                "operationId": "createDestination",
                "summary": "Create a destination; its six S3 permissions are checked first.",
                "responses": {
                  "201": {
                    "description": "Saved, with the permission check.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/DestinationChecked"
                        }
                      }
                    },
                    "links": {
                      "GetDestination": {
                        "operationId": "getDestination",
                        "parameters": {
                          "id": "$response.body#/destination/id"
                        }
                      },
                      "TestDestination": {
                        "operationId": "testDestination",
                        "parameters": {
                          "id": "$response.body#/destination/id"
                        }
                      },
                      "DeleteDestination": {
                        "operationId": "deleteDestination",
                        "parameters": {
                          "id": "$response.body#/destination/id"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/BadRequest"
                  },
                  "409": {
                    "$ref": "#/components/responses/Conflict"
                  },
                  "422": {
                    "$ref": "#/components/responses/MissingPermission"
                  },
                  "403": {
                    "$ref": "#/components/responses/Forbidden"
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "default": {
                    "$ref": "#/components/responses/Error"
                  }
                },
                "requestBody": {
                  "required": true,
                  "content": {
                    "application/json": {
                      "schema": {
                        "$ref": "#/components/schemas/DestinationCreate"
                      }
                    }
                  }
                }
              }
            },
            "/destinations/{id}": {
              "get": {
                "operationId": "getDestination",
                "summary": "A destination, by id or name.",
                "responses": {
                  "200": {
                    "description": "The destination.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Destination"
                        }
                      }
                    }
                  },
                  "404": {
                    "$ref": "#/components/responses/NotFound"
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "default": {
                    "$ref": "#/components/responses/Error"
                  }
                },
                "parameters": [
                  {
                    "$ref": "#/components/parameters/Id"
                  }
                ]
              },
              "delete": {
                "operationId": "deleteDestination",
                "summary": "Delete a destination no activation uses.",
                "responses": {
                  "204": {
                    "description": "Deleted."
                  },
                  "404": {
                    "$ref": "#/components/responses/NotFound"
                  },
                  "409": {
                    "$ref": "#/components/responses/Conflict"
                  },
                  "403": {
                    "$ref": "#/components/responses/Forbidden"
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "default": {
                    "$ref": "#/components/responses/Error"
                  }
                },
                "parameters": [
                  {
                    "$ref": "#/components/parameters/Id"
                  }
                ]
              }
            },
            "/destinations/{id}/test": {
              "post": {
                "operationId": "testDestination",
                "summary": "Check the destination's six S3 permissions again.",
                "responses": {
                  "200": {
                    "description": "Each permission, granted or not.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/DestinationChecked"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/BadRequest"
                  },
                  "404": {
                    "$ref": "#/components/responses/NotFound"
                  },
                  "422": {
                    "$ref": "#/components/responses/MissingPermission"
                  },
                  "403": {
                    "$ref": "#/components/responses/Forbidden"
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "default": {
                    "$ref": "#/components/responses/Error"
                  }
                },
                "parameters": [
                  {
                    "$ref": "#/components/parameters/Id"
                  }
                ]
              }
            },
            "/segments": {
              "get": {
                "operationId": "listSegments",
                "summary": "List segments with their size estimate.",
                "responses": {
                  "200": {
                    "description": "A page of segments.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/SegmentPage"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/BadRequest"
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "default": {
                    "$ref": "#/components/responses/Error"
                  }
                },
                "parameters": [
                  {
                    "$ref": "#/components/parameters/Limit"
                  },
                  {
                    "$ref": "#/components/parameters/Cursor"
                  }
                ]
              },
              "post": {
                "operationId": "createSegment",
                "summary": "Create a segment; PQL errors name their line and column.",
                "responses": {
                  "201": {
                    "description": "The segment.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Segment"
                        }
                      }
                    },
                    "links": {
                      "GetSegment": {
                        "operationId": "getSegment",
                        "parameters": {
                          "id": "$response.body#/id"
                        }
                      },
                      "EvaluateSegment": {
                        "operationId": "evaluateSegment",
                        "parameters": {
                          "id": "$response.body#/id"
                        }
                      },
                      "ListMembers": {
                        "operationId": "listMembers",
                        "parameters": {
                          "id": "$response.body#/id"
                        }
                      },
                      "DeleteSegment": {
                        "operationId": "deleteSegment",
                        "parameters": {
                          "id": "$response.body#/id"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/BadRequest"
                  },
                  "409": {
                    "$ref": "#/components/responses/Conflict"
                  },
                  "403": {
                    "$ref": "#/components/responses/Forbidden"
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "default": {
                    "$ref": "#/components/responses/Error"
                  }
                },
                "requestBody": {
                  "required": true,
                  "content": {
                    "application/json": {
                      "schema": {
                        "$ref": "#/components/schemas/SegmentCreate"
                      }
                    }
                  }
                }
              }
            },
            "/segments/{id}": {
              "get": {
                "operationId": "getSegment",
                "summary": "A segment, by id or name.",
                "responses": {
                  "200": {
                    "description": "The segment.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Segment"
                        }
                      }
                    }
                  },
                  "404": {
                    "$ref": "#/components/responses/NotFound"
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "default": {
                    "$ref": "#/components/responses/Error"
                  }
                },
                "parameters": [
                  {
                    "$ref": "#/components/parameters/Id"
                  }
                ]
              },
              "delete": {
                "operationId": "deleteSegment",
                "summary": "Delete a segment no activation exports.",
                "responses": {
                  "204": {
                    "description": "Deleted."
                  },
                  "404": {
                    "$ref": "#/components/responses/NotFound"
                  },
                  "409": {
                    "$ref": "#/components/responses/Conflict"
                  },
                  "403": {
                    "$ref": "#/components/responses/Forbidden"
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "default": {
                    "$ref": "#/components/responses/Error"
                  }
                },
                "parameters": [
                  {
                    "$ref": "#/components/parameters/Id"
                  }
                ]
              }
            },
            "/segments/{id}/evaluate": {
              "post": {
                "operationId": "evaluateSegment",
                "summary": "Evaluate the segment now.",
                "responses": {
                  "200": {
                    "description": "What the evaluation changed.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Evaluation"
                        }
                      }
                    }
                  },
                  "404": {
                    "$ref": "#/components/responses/NotFound"
                  },
                  "403": {
                    "$ref": "#/components/responses/Forbidden"
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "default": {
                    "$ref": "#/components/responses/Error"
                  }
                },
                "parameters": [
                  {
                    "$ref": "#/components/parameters/Id"
                  }
                ]
              }
            },
            "/segments/{id}/members": {
              "get": {
                "operationId": "listMembers",
                "summary": "Members of the segment at its latest evaluation.",
                "responses": {
                  "200": {
                    "description": "A page of members.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/MemberPage"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/BadRequest"
                  },
                  "404": {
                    "$ref": "#/components/responses/NotFound"
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "default": {
                    "$ref": "#/components/responses/Error"
                  }
                },
                "parameters": [
                  {
                    "$ref": "#/components/parameters/Id"
                  },
                  {
                    "$ref": "#/components/parameters/Limit"
                  },
                  {
                    "$ref": "#/components/parameters/Cursor"
                  },
                  {
                    "name": "status",
                    "in": "query",
                    "schema": {
                      "type": "string",
                      "enum": [
                        "realized",
                        "exited"
                      ]
                    }
                  }
                ]
              }
            },
            "/estimate": {
              "get": {
                "operationId": "estimateSegment",
                "summary": "How many profiles a PQL definition selects now, before it is saved; nothing is saved or recorded.",
                "parameters": [
                  {
                    "name": "pql",
                    "in": "query",
                    "required": true,
                    "schema": {
                      "type": "string"
                    },
                    "description": "The definition, e.g. loyalty.tier = \"gold\"."
                  }
                ],
                "responses": {
                  "200": {
                    "description": "The estimate.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Estimate"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/BadRequest"
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "default": {
                    "$ref": "#/components/responses/Error"
                  }
                }
              }
            },
            "/activations": {
              "get": {
                "operationId": "listActivations",
                "summary": "List activations.",
                "responses": {
                  "200": {
                    "description": "A page of activations.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/ActivationPage"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/BadRequest"
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "default": {
                    "$ref": "#/components/responses/Error"
                  }
                },
                "parameters": [
                  {
                    "$ref": "#/components/parameters/Limit"
                  },
                  {
                    "$ref": "#/components/parameters/Cursor"
                  }
                ]
              },
              "post": {
                "operationId": "createActivation",
                "summary": "Create an activation: segments sent to a destination with mapped columns, on a schedule.",
                "responses": {
                  "201": {
                    "description": "The activation.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/ActivationCreated"
                        }
                      }
                    },
                    "links": {
                      "GetActivation": {
                        "operationId": "getActivation",
                        "parameters": {
                          "id": "$response.body#/activation/id"
                        }
                      },
                      "UpdateActivation": {
                        "operationId": "updateActivation",
                        "parameters": {
                          "id": "$response.body#/activation/id"
                        }
                      },
                      "EnableActivation": {
                        "operationId": "enableActivation",
                        "parameters": {
                          "id": "$response.body#/activation/id"
                        }
                      },
                      "DisableActivation": {
                        "operationId": "disableActivation",
                        "parameters": {
                          "id": "$response.body#/activation/id"
                        }
                      },
                      "ExportActivation": {
                        "operationId": "exportActivation",
                        "parameters": {
                          "id": "$response.body#/activation/id"
                        }
                      },
                      "DeleteActivation": {
                        "operationId": "deleteActivation",
                        "parameters": {
                          "id": "$response.body#/activation/id"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/BadRequest"
                  },
                  "404": {
                    "$ref": "#/components/responses/NotFound"
                  },
                  "409": {
                    "$ref": "#/components/responses/Conflict"
                  },
                  "403": {
                    "$ref": "#/components/responses/Forbidden"
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "default": {
                    "$ref": "#/components/responses/Error"
                  }
                },
                "requestBody": {
                  "required": true,
                  "content": {
                    "application/json": {
                      "schema": {
                        "$ref": "#/components/schemas/ActivationCreate"
                      }
                    }
                  }
                }
              }
            },
            "/activations/{id}": {
              "get": {
                "operationId": "getActivation",
                "summary": "An activation, by id or name.",
                "responses": {
                  "200": {
                    "description": "The activation.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Activation"
                        }
                      }
                    }
                  },
                  "404": {
                    "$ref": "#/components/responses/NotFound"
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "default": {
                    "$ref": "#/components/responses/Error"
                  }
                },
                "parameters": [
                  {
                    "$ref": "#/components/parameters/Id"
                  }
                ]
              },
              "patch": {
                "operationId": "updateActivation",
                "summary": "Change an activation: schedule, mapping, segments, enabled ...",
                "responses": {
                  "200": {
                    "description": "The activation.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Activation"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/BadRequest"
                  },
                  "404": {
                    "$ref": "#/components/responses/NotFound"
                  },
                  "409": {
                    "$ref": "#/components/responses/Conflict"
                  },
                  "403": {
                    "$ref": "#/components/responses/Forbidden"
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "default": {
                    "$ref": "#/components/responses/Error"
                  }
                },
                "parameters": [
                  {
                    "$ref": "#/components/parameters/Id"
                  }
                ],
                "requestBody": {
                  "required": true,
                  "content": {
                    "application/json": {
                      "schema": {
                        "$ref": "#/components/schemas/ActivationPatch"
                      }
                    }
                  }
                }
              },
              "delete": {
                "operationId": "deleteActivation",
                "summary": "Delete an activation and its run history.",
                "responses": {
                  "204": {
                    "description": "Deleted."
                  },
                  "404": {
                    "$ref": "#/components/responses/NotFound"
                  },
                  "409": {
                    "$ref": "#/components/responses/Conflict"
                  },
                  "403": {
                    "$ref": "#/components/responses/Forbidden"
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "default": {
                    "$ref": "#/components/responses/Error"
                  }
                },
                "parameters": [
                  {
                    "$ref": "#/components/parameters/Id"
                  }
                ]
              }
            },
            "/activations/{id}/enable": {
              "post": {
                "operationId": "enableActivation",
                "summary": "Resume scheduled runs.",
                "responses": {
                  "200": {
                    "description": "The activation.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Activation"
                        }
                      }
                    }
                  },
                  "404": {
                    "$ref": "#/components/responses/NotFound"
                  },
                  "403": {
                    "$ref": "#/components/responses/Forbidden"
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "default": {
                    "$ref": "#/components/responses/Error"
                  }
                },
                "parameters": [
                  {
                    "$ref": "#/components/parameters/Id"
                  }
                ]
              }
            },
            "/activations/{id}/disable": {
              "post": {
                "operationId": "disableActivation",
                "summary": "Stop scheduled runs.",
                "responses": {
                  "200": {
                    "description": "The activation.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Activation"
                        }
                      }
                    }
                  },
                  "404": {
                    "$ref": "#/components/responses/NotFound"
                  },
                  "403": {
                    "$ref": "#/components/responses/Forbidden"
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "default": {
                    "$ref": "#/components/responses/Error"
                  }
                },
                "parameters": [
                  {
                    "$ref": "#/components/parameters/Id"
                  }
                ]
              }
            },
            "/activations/{id}/export": {
              "post": {
                "operationId": "exportActivation",
                "summary": "Export file now: one run per segment.",
                "responses": {
                  "200": {
                    "description": "Each segment's run.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/ExportResult"
                        }
                      }
                    },
                    "links": {
                      "GetRun": {
                        "operationId": "getRun",
                        "parameters": {
                          "id": "$response.body#/results/0/run/id"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/BadRequest"
                  },
                  "404": {
                    "$ref": "#/components/responses/NotFound"
                  },
                  "409": {
                    "$ref": "#/components/responses/Conflict"
                  },
                  "403": {
                    "$ref": "#/components/responses/Forbidden"
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "default": {
                    "$ref": "#/components/responses/Error"
                  }
                },
                "parameters": [
                  {
                    "$ref": "#/components/parameters/Id"
                  }
                ],
                "requestBody": {
                  "required": false,
                  "content": {
                    "application/json": {
                      "schema": {
                        "$ref": "#/components/schemas/ExportRequest"
                      }
                    }
                  }
                }
              }
            },
            "/activations/{id}/dry-run": {
              "post": {
                "operationId": "dryRunActivation",
                "summary": "What export now would write, found without writing: counts, keys with rows, the first rows. Needs no S3 permission and records no run.",
                "responses": {
                  "200": {
                    "description": "Each segment's would-be files.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/DryRunResult"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/BadRequest"
                  },
                  "404": {
                    "$ref": "#/components/responses/NotFound"
                  },
                  "409": {
                    "$ref": "#/components/responses/Conflict"
                  },
                  "403": {
                    "$ref": "#/components/responses/Forbidden"
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "default": {
                    "$ref": "#/components/responses/Error"
                  }
                },
                "parameters": [
                  {
                    "$ref": "#/components/parameters/Id"
                  }
                ],
                "requestBody": {
                  "required": false,
                  "content": {
                    "application/json": {
                      "schema": {
                        "$ref": "#/components/schemas/ExportRequest"
                      }
                    }
                  }
                }
              }
            },
            "/runs": {
              "get": {
                "operationId": "listRuns",
                "summary": "Runs, newest first.",
                "responses": {
                  "200": {
                    "description": "A page of runs.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/RunPage"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/BadRequest"
                  },
                  "404": {
                    "$ref": "#/components/responses/NotFound"
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "default": {
                    "$ref": "#/components/responses/Error"
                  }
                },
                "parameters": [
                  {
                    "$ref": "#/components/parameters/Limit"
                  },
                  {
                    "$ref": "#/components/parameters/Cursor"
                  },
                  {
                    "name": "activation",
                    "in": "query",
                    "description": "Activation name or id.",
                    "schema": {
                      "type": "string"
                    }
                  },
                  {
                    "name": "segment",
                    "in": "query",
                    "description": "Segment name or id.",
                    "schema": {
                      "type": "string"
                    }
                  },
                  {
                    "name": "status",
                    "in": "query",
                    "schema": {
                      "type": "string",
                      "enum": [
                        "processing",
                        "success",
                        "failed"
                      ]
                    }
                  },
                  {
                    "name": "since",
                    "in": "query",
                    "description": "Runs started at or after this time.",
                    "schema": {
                      "type": "string",
                      "format": "date-time"
                    }
                  }
                ]
              }
            },
            "/runs/{id}": {
              "get": {
                "operationId": "getRun",
                "summary": "A run with its counts, files and manifest key.",
                "responses": {
                  "200": {
                    "description": "The run.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Run"
                        }
                      }
                    }
                  },
                  "404": {
                    "$ref": "#/components/responses/NotFound"
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "default": {
                    "$ref": "#/components/responses/Error"
                  }
                },
                "parameters": [
                  {
                    "$ref": "#/components/parameters/Id"
                  }
                ]
              }
            },
            "/profiles/{ref}": {
              "get": {
                "operationId": "getProfile",
                "summary": "A profile by its primary identity.",
                "responses": {
                  "200": {
                    "description": "The merged profile.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Profile"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/BadRequest"
                  },
                  "404": {
                    "$ref": "#/components/responses/NotFound"
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "default": {
                    "$ref": "#/components/responses/Error"
                  }
                },
                "parameters": [
                  {
                    "name": "ref",
                    "in": "path",
                    "required": true,
                    "description": "NAMESPACE:ID, e.g. Email:ann@example.com.",
                    "schema": {
                      "type": "string",
                      "minLength": 1
                    }
                  }
                ]
              }
            },
            "/status": {
              "get": {
                "operationId": "getStatus",
                "summary": "Each activation's next run and last result, as `ferry status --check` reports.",
                "responses": {
                  "200": {
                    "description": "The status.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Status"
                        }
                      }
                    }
                  },
                  "401": {
                    "$ref": "#/components/responses/Unauthorized"
                  },
                  "default": {
                    "$ref": "#/components/responses/Error"
                  }
                }
              }
            }
          },
          "components": {
            "securitySchemes": {
              "bearer": {
                "type": "http",
                "scheme": "bearer"
              }
            },
            "parameters": {
              "Id": {
                "name": "id",
                "in": "path",
                "required": true,
                "description": "Id or name.",
                "schema": {
                  "type": "string",
                  "minLength": 1
                }
              },
              "Limit": {
                "name": "limit",
                "in": "query",
                "schema": {
                  "type": "integer",
                  "minimum": 1,
                  "maximum": 1000,
                  "default": 100
                }
              },
              "Cursor": {
                "name": "cursor",
                "in": "query",
                "description": "From the previous page's nextCursor.",
                "schema": {
                  "type": "string"
                }
              }
            },
            "responses": {
              "Unauthorized": {
                "description": "No valid bearer token.",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Error"
                    }
                  }
                }
              },
              "Forbidden": {
                "description": "The token is read-only.",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Error"
                    }
                  }
                }
              },
              "BadRequest": {
                "description": "Bad input; field names the culprit when one field is.",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Error"
                    }
                  }
                }
              },
              "NotFound": {
                "description": "No such id or name.",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Error"
                    }
                  }
                }
              },
              "Conflict": {
                "description": "Clashes with what exists: a taken name, or still in use.",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Error"
                    }
                  }
                }
              },
              "MissingPermission": {
                "description": "The destination's credentials lack S3 permissions; permissions lists each.",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Error"
                    }
                  }
                }
              },
              "Error": {
                "description": "Any other failure.",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Error"
                    }
                  }
                }
              }
            },
            "schemas": {
              "Error": {
                "type": "object",
                "properties": {
                  "error": {
                    "type": "object",
                    "properties": {
                      "code": {
                        "type": "string",
                        "description": "Stable code to branch on, e.g. destinationNotFound."
                      },
                      "message": {
                        "type": "string",
                        "description": "One sentence a person can act on."
                      },
                      "field": {
                        "type": "string",
                        "description": "The body field or query parameter at fault."
                      },
                      "permissions": {
                        "type": "array",
                        "items": {
                          "$ref": "#/components/schemas/Permission"
                        }
                      }
                    },
                    "required": [
                      "code",
                      "message"
                    ]
                  }
                },
                "required": [
                  "error"
                ]
              },
              "Permission": {
                "type": "object",
                "properties": {
                  "permission": {
                    "type": "string",
                    "enum": [
                      "s3:DeleteObject",
                      "s3:GetBucketLocation",
                      "s3:GetObject",
                      "s3:ListBucket",
                      "s3:PutObject",
                      "s3:ListMultipartUploadParts"
                    ]
                  },
                  "granted": {
                    "type": "boolean"
                  },
                  "detail": {
                    "type": "string"
                  }
                },
                "required": [
                  "permission",
                  "granted"
                ]
              },
              "Destination": {
                "type": "object",
                "properties": {
                  "id": {
                    "type": "string"
                  },
                  "name": {
                    "type": "string"
                  },
                  "bucket": {
                    "type": "string"
                  },
                  "folderPath": {
                    "type": "string"
                  },
                  "region": {
                    "type": "string"
                  },
                  "endpoint": {
                    "type": "string"
                  },
                  "fileType": {
                    "type": "string"
                  },
                  "compression": {
                    "type": "string"
                  },
                  "nested": {
                    "type": "boolean"
                  },
                  "manifest": {
                    "type": "boolean"
                  },
                  "accessKeyId": {
                    "type": "string",
                    "description": "Masked: the first and last four characters."
                  },
                  "pgpFingerprint": {
                    "type": "string",
                    "description": "Files are encrypted to this PGP key (set with `ferry destinations create --pgp-public-key`)."
                  },
                  "roleArn": {
                    "type": "string",
                    "description": "The role Ferry assumes instead of stored keys."
                  },
                  "externalId": {
                    "type": "string"
                  },
                  "roleSessionName": {
                    "type": "string"
                  },
                  "sse": {
                    "type": "string",
                    "description": "Server-side encryption asked of S3."
                  },
                  "kmsKeyId": {
                    "type": "string"
                  },
                  "createdAt": {
                    "type": "string",
                    "format": "date-time"
                  }
                },
                "required": [
                  "id",
                  "name",
                  "bucket",
                  "folderPath",
                  "fileType",
                  "compression",
                  "manifest",
                  "accessKeyId",
                  "createdAt"
                ],
                "description": "A destination; its secret key and session token are never returned."
              },
              "DestinationCreate": {
                "type": "object",
                "properties": {
                  "name": {
                    "type": "string",
                    "minLength": 1
                  },
                  "bucket": {
                    "type": "string"
                  },
                  "folderPath": {
                    "type": "string",
                    "description": "Macros allowed: %SEGMENT_NAME% %SEGMENT_ID% %DESTINATION_NAME% %DESTINATION_ID% %DATETIME(pattern)% %TIMESTAMP%."
                  },
                  "region": {
                    "type": "string",
                    "pattern": "^[a-z0-9-]{1,64}$"
                  },
                  "endpoint": {
                    "type": "string",
                    "description": "S3-compatible endpoint URL; defaults to the server's AWS_ENDPOINT_URL."
                  },
                  "fileType": {
                    "type": "string",
                    "enum": [
                      "csv",
                      "tsv",
                      "json",
                      "parquet"
                    ],
                    "description": "json writes JSON Lines; parquet is written natively, with typed columns."
                  },
                  "compression": {
                    "type": "string",
                    "enum": [
                      "none",
                      "gzip",
                      "snappy"
                    ],
                    "description": "gzip compresses a whole csv, tsv or json file (.gz); Parquet compresses inside the file (snappy is for parquet only)."
                  },
                  "nested": {
                    "type": "boolean",
                    "description": "Parquet only: arrays and objects as LIST and STRUCT columns instead of JSON text."
                  },
                  "manifest": {
                    "type": "boolean"
                  },
                  "delimiter": {
                    "type": "string",
                    "enum": [
                      "comma",
                      "tab",
                      "semicolon",
                      "pipe",
                      "colon"
                    ]
                  },
                  "quote": {
                    "type": "string",
                    "enum": [
                      "needed",
                      "all",
                      "none"
                    ]
                  },
                  "escape": {
                    "type": "string",
                    "enum": [
                      "double",
                      "backslash",
                      "quote"
                    ]
                  },
                  "nullValue": {
                    "type": "string",
                    "enum": [
                      "empty",
                      "quoted-empty",
                      "null"
                    ]
                  },
                  "emptyValue": {
                    "type": "string",
                    "enum": [
                      "empty",
                      "quoted-empty",
                      "null"
                    ]
                  },
                  "accessKeyId": {
                    "type": "string"
                  },
                  "secretAccessKey": {
                    "type": "string",
                    "writeOnly": true
                  },
                  "sessionToken": {
                    "type": "string",
                    "writeOnly": true
                  },
                  "pgpPublicKey": {
                    "type": "string",
                    "description": "An ASCII-armored OpenPGP public key (RSA 2048-4096 or cv25519): every file is encrypted to it and gets .gpg. Only its fingerprint is shown back."
                  },
                  "roleArn": {
                    "type": "string",
                    "description": "An IAM role Ferry assumes with its own credentials; leave out accessKeyId and secretAccessKey then."
                  },
                  "externalId": {
                    "type": "string",
                    "description": "The sts:ExternalId the role's trust policy asks for; only with roleArn."
                  },
                  "sessionName": {
                    "type": "string",
                    "description": "The role session name (default: ferry); only with roleArn."
                  },
                  "sse": {
                    "type": "string",
                    "enum": [
                      "aes256",
                      "aws:kms"
                    ],
                    "description": "Server-side encryption asked of S3 on every upload."
                  },
                  "kmsKeyId": {
                    "type": "string",
                    "description": "The KMS key (id, ARN or alias/NAME) for sse aws:kms."
                  },
                  "skipValidation": {
                    "type": "boolean",
                    "description": "Save without the six-permission check."
                  }
                },
                "required": [
                  "name",
                  "bucket"
                ],
                "examples": [
                  {
                    "name": "example",
                    "bucket": "ferry-example",
                    "folderPath": "audiences/%SEGMENT_NAME%",
                    "accessKeyId": "AKIAEXAMPLE",
                    "secretAccessKey": "example-secret",
                    "skipValidation": true
                  }
                ],
                "description": "accessKeyId and secretAccessKey are needed unless roleArn is given, and refused with it."
              },
              "DestinationChecked": {
                "type": "object",
                "properties": {
                  "destination": {
                    "$ref": "#/components/schemas/Destination"
                  },
                  "permissions": {
                    "type": "array",
                    "items": {
                      "$ref": "#/components/schemas/Permission"
                    }
                  }
                },
                "required": [
                  "destination"
                ]
              },
              "Segment": {
                "type": "object",
                "properties": {
                  "id": {
                    "type": "string"
                  },
                  "name": {
                    "type": "string"
                  },
                  "pql": {
                    "type": "string"
                  },
                  "description": {
                    "type": "string"
                  },
                  "createdAt": {
                    "type": "string",
                    "format": "date-time"
                  },
                  "estimatedSize": {
                    "type": "integer",
                    "description": "Realized and existing members at the latest evaluation."
                  },
                  "lastEvaluatedAt": {
                    "type": "string",
                    "format": "date-time"
                  },
                  "lastFailure": {
                    "type": "string",
                    "description": "Why the latest evaluation of this segment failed, in one sentence; its members stay as they were. Absent once an evaluation succeeds."
                  },
                  "lastFailedAt": {
                    "type": "string",
                    "format": "date-time"
                  }
                },
                "required": [
                  "id",
                  "name",
                  "pql",
                  "createdAt"
                ]
              },
              "SegmentCreate": {
                "type": "object",
                "properties": {
                  "name": {
                    "type": "string",
                    "minLength": 1
                  },
                  "pql": {
                    "type": "string"
                  },
                  "description": {
                    "type": "string"
                  }
                },
                "required": [
                  "name",
                  "pql"
                ],
                "examples": [
                  {
                    "name": "Gold members",
                    "pql": "loyalty.tier = \"gold\"",
                    "description": "Gold tier"
                  }
                ]
              },
              "Evaluation": {
                "type": "object",
                "properties": {
                  "evaluationId": {
                    "type": "integer"
                  },
                  "segmentId": {
                    "type": "string"
                  },
                  "segmentName": {
                    "type": "string"
                  },
                  "realized": {
                    "type": "integer"
                  },
                  "existing": {
                    "type": "integer"
                  },
                  "exited": {
                    "type": "integer"
                  },
                  "purged": {
                    "type": "integer"
                  },
                  "usedSQL": {
                    "type": "boolean"
                  },
                  "seconds": {
                    "type": "number"
                  }
                },
                "required": [
                  "evaluationId",
                  "segmentId",
                  "segmentName",
                  "realized",
                  "existing",
                  "exited",
                  "purged",
                  "usedSQL",
                  "seconds"
                ]
              },
              "Member": {
                "type": "object",
                "properties": {
                  "namespace": {
                    "type": "string"
                  },
                  "id": {
                    "type": "string"
                  },
                  "status": {
                    "type": "string",
                    "enum": [
                      "realized",
                      "exited"
                    ]
                  },
                  "lastQualificationTime": {
                    "type": "string",
                    "format": "date-time"
                  }
                },
                "required": [
                  "namespace",
                  "id",
                  "status",
                  "lastQualificationTime"
                ]
              },
              "ColumnMapping": {
                "type": "object",
                "properties": {
                  "source": {
                    "type": "string"
                  },
                  "column": {
                    "type": "string"
                  },
                  "hashed": {
                    "type": "boolean"
                  }
                },
                "required": [
                  "source",
                  "column"
                ]
              },
              "Activation": {
                "type": "object",
                "properties": {
                  "id": {
                    "type": "string"
                  },
                  "name": {
                    "type": "string"
                  },
                  "destinationId": {
                    "type": "string"
                  },
                  "segmentIds": {
                    "type": "array",
                    "items": {
                      "type": "string"
                    }
                  },
                  "mappings": {
                    "type": "array",
                    "items": {
                      "$ref": "#/components/schemas/ColumnMapping"
                    }
                  },
                  "mandatory": {
                    "type": "array",
                    "items": {
                      "type": "string"
                    }
                  },
                  "dedupKeys": {
                    "type": "array",
                    "items": {
                      "type": "string"
                    }
                  },
                  "mode": {
                    "type": "string",
                    "enum": [
                      "full",
                      "incremental"
                    ]
                  },
                  "frequency": {
                    "type": "string",
                    "enum": [
                      "once",
                      "daily",
                      "every-3-hours",
                      "every-6-hours",
                      "every-8-hours",
                      "every-12-hours",
                      "weekly",
                      "monthly"
                    ]
                  },
                  "day": {
                    "type": "integer",
                    "description": "Weekly: 1 (Sunday) to 7 (Saturday); monthly: the day of the month."
                  },
                  "trigger": {
                    "type": "string",
                    "enum": [
                      "schedule",
                      "after-evaluation"
                    ]
                  },
                  "start": {
                    "type": "string",
                    "format": "date-time"
                  },
                  "endDay": {
                    "type": "string"
                  },
                  "timeZone": {
                    "type": "string"
                  },
                  "fileNameTemplate": {
                    "type": "string"
                  },
                  "maxRowsPerFile": {
                    "type": "integer"
                  },
                  "enabled": {
                    "type": "boolean"
                  },
                  "createdAt": {
                    "type": "string",
                    "format": "date-time"
                  }
                },
                "required": [
                  "id",
                  "name",
                  "destinationId",
                  "segmentIds",
                  "mappings",
                  "mode",
                  "frequency",
                  "start",
                  "timeZone",
                  "fileNameTemplate",
                  "maxRowsPerFile",
                  "enabled",
                  "createdAt"
                ]
              },
              "ActivationCreate": {
                "type": "object",
                "properties": {
                  "name": {
                    "type": "string",
                    "minLength": 1
                  },
                  "destination": {
                    "type": "string",
                    "description": "Name or id."
                  },
                  "segments": {
                    "type": "array",
                    "items": {
                      "type": "string"
                    },
                    "minItems": 1,
                    "description": "Names or ids."
                  },
                  "columns": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                      "type": "object",
                      "properties": {
                        "source": {
                          "type": "string",
                          "description": "identityMap.Email, person.name.lastName, segmentMembership.status ..."
                        },
                        "column": {
                          "type": "string"
                        },
                        "hashed": {
                          "type": "boolean"
                        }
                      },
                      "required": [
                        "source"
                      ]
                    }
                  },
                  "mandatory": {
                    "type": "array",
                    "items": {
                      "type": "string"
                    }
                  },
                  "dedupKeys": {
                    "type": "array",
                    "items": {
                      "type": "string"
                    },
                    "maxItems": 2
                  },
                  "mode": {
                    "type": "string",
                    "enum": [
                      "full",
                      "incremental"
                    ]
                  },
                  "frequency": {
                    "type": "string",
                    "enum": [
                      "once",
                      "daily",
                      "every-3-hours",
                      "every-6-hours",
                      "every-8-hours",
                      "every-12-hours",
                      "weekly",
                      "monthly"
                    ]
                  },
                  "day": {
                    "type": "string",
                    "description": "Weekly: a weekday (monday ... sunday); monthly: a day of the month, 1 to 31, where a shorter month runs on its last day. Default: the start's."
                  },
                  "trigger": {
                    "type": "string",
                    "enum": [
                      "schedule",
                      "after-evaluation"
                    ],
                    "description": "schedule runs on the frequency from start; after-evaluation runs once after each completed evaluation of the segment (frequency once)."
                  },
                  "start": {
                    "type": "string",
                    "format": "date-time"
                  },
                  "end": {
                    "type": "string",
                    "description": "YYYY-MM-DD; that day is not exported."
                  },
                  "timeZone": {
                    "type": "string"
                  },
                  "fileName": {
                    "type": "string"
                  },
                  "maxRowsPerFile": {
                    "type": "integer",
                    "minimum": 1
                  }
                },
                "required": [
                  "name",
                  "destination",
                  "segments",
                  "columns"
                ],
                "examples": [
                  {
                    "name": "daily gold",
                    "destination": "example",
                    "segments": [
                      "Gold members"
                    ],
                    "columns": [
                      {
                        "source": "identityMap.Email",
                        "column": "email"
                      },
                      {
                        "source": "person.name.lastName"
                      }
                    ],
                    "frequency": "daily",
                    "start": "2026-01-01T06:00:00Z"
                  }
                ]
              },
              "ActivationCreated": {
                "type": "object",
                "properties": {
                  "activation": {
                    "$ref": "#/components/schemas/Activation"
                  },
                  "warnings": {
                    "type": "array",
                    "items": {
                      "type": "string"
                    }
                  }
                },
                "required": [
                  "activation",
                  "warnings"
                ]
              },
              "ActivationPatch": {
                "type": "object",
                "description": "Each field given replaces the saved one and the whole activation is checked again as on create; its id and run history stay. A new frequency without a day takes the start's day.",
                "properties": {
                  "name": {
                    "type": "string",
                    "minLength": 1
                  },
                  "destination": {
                    "type": "string",
                    "description": "Name or id."
                  },
                  "segments": {
                    "type": "array",
                    "items": {
                      "type": "string"
                    },
                    "minItems": 1,
                    "description": "Names or ids."
                  },
                  "columns": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                      "type": "object",
                      "properties": {
                        "source": {
                          "type": "string",
                          "description": "identityMap.Email, person.name.lastName, segmentMembership.status ..."
                        },
                        "column": {
                          "type": "string"
                        },
                        "hashed": {
                          "type": "boolean"
                        }
                      },
                      "required": [
                        "source"
                      ]
                    }
                  },
                  "mandatory": {
                    "type": "array",
                    "items": {
                      "type": "string"
                    }
                  },
                  "dedupKeys": {
                    "type": "array",
                    "items": {
                      "type": "string"
                    },
                    "maxItems": 2
                  },
                  "mode": {
                    "type": "string",
                    "enum": [
                      "full",
                      "incremental"
                    ]
                  },
                  "frequency": {
                    "type": "string",
                    "enum": [
                      "once",
                      "daily",
                      "every-3-hours",
                      "every-6-hours",
                      "every-8-hours",
                      "every-12-hours",
                      "weekly",
                      "monthly"
                    ]
                  },
                  "day": {
                    "type": "string",
                    "description": "Weekly: a weekday (monday ... sunday); monthly: a day of the month, 1 to 31, where a shorter month runs on its last day. Default: the start's."
                  },
                  "trigger": {
                    "type": "string",
                    "enum": [
                      "schedule",
                      "after-evaluation"
                    ],
                    "description": "schedule runs on the frequency from start; after-evaluation runs once after each completed evaluation of the segment (frequency once)."
                  },
                  "start": {
                    "type": "string",
                    "format": "date-time"
                  },
                  "end": {
                    "type": [
                      "string",
                      "null"
                    ],
                    "description": "YYYY-MM-DD; null removes the end day."
                  },
                  "timeZone": {
                    "type": "string"
                  },
                  "fileName": {
                    "type": "string"
                  },
                  "maxRowsPerFile": {
                    "type": "integer",
                    "minimum": 1
                  },
                  "enabled": {
                    "type": "boolean"
                  }
                },
                "required": [],
                "examples": [
                  {
                    "enabled": false
                  },
                  {
                    "frequency": "weekly",
                    "day": "friday",
                    "start": "2026-01-02T06:00:00Z"
                  }
                ]
              },
              "ExportRequest": {
                "type": "object",
                "properties": {
                  "segment": {
                    "type": "string",
                    "description": "Only this segment (name or id)."
                  },
                  "at": {
                    "type": "string",
                    "format": "date-time",
                    "description": "The scheduled time to export as; the same time rewrites the same keys."
                  }
                },
                "required": []
              },
              "ExportResult": {
                "type": "object",
                "properties": {
                  "results": {
                    "type": "array",
                    "items": {
                      "type": "object",
                      "properties": {
                        "segmentId": {
                          "type": "string"
                        },
                        "outcome": {
                          "type": "string",
                          "enum": [
                            "success",
                            "failed",
                            "busy"
                          ]
                        },
                        "run": {
                          "$ref": "#/components/schemas/Run"
                        },
                        "error": {
                          "type": "object",
                          "properties": {
                            "code": {
                              "type": "string"
                            },
                            "message": {
                              "type": "string"
                            }
                          },
                          "required": [
                            "code",
                            "message"
                          ]
                        }
                      },
                      "required": [
                        "segmentId",
                        "outcome"
                      ]
                    }
                  }
                },
                "required": [
                  "results"
                ]
              },
              "RunFile": {
                "type": "object",
                "properties": {
                  "key": {
                    "type": "string"
                  },
                  "rows": {
                    "type": "integer"
                  },
                  "bytes": {
                    "type": "integer"
                  },
                  "sha256": {
                    "type": "string"
                  }
                },
                "required": [
                  "key",
                  "rows",
                  "bytes",
                  "sha256"
                ]
              },
              "Run": {
                "type": "object",
                "properties": {
                  "id": {
                    "type": "string"
                  },
                  "activationId": {
                    "type": "string"
                  },
                  "segmentId": {
                    "type": "string"
                  },
                  "destinationId": {
                    "type": "string"
                  },
                  "status": {
                    "type": "string",
                    "enum": [
                      "processing",
                      "success",
                      "failed"
                    ]
                  },
                  "mode": {
                    "type": "string",
                    "enum": [
                      "full",
                      "incremental"
                    ]
                  },
                  "scheduledTime": {
                    "type": "string",
                    "format": "date-time"
                  },
                  "startedAt": {
                    "type": "string",
                    "format": "date-time"
                  },
                  "finishedAt": {
                    "type": "string",
                    "format": "date-time"
                  },
                  "profilesReceived": {
                    "type": "integer"
                  },
                  "exported": {
                    "type": "integer"
                  },
                  "excludedMandatory": {
                    "type": "integer"
                  },
                  "excludedDuplicate": {
                    "type": "integer"
                  },
                  "files": {
                    "type": "array",
                    "items": {
                      "$ref": "#/components/schemas/RunFile"
                    }
                  },
                  "manifestKey": {
                    "type": "string"
                  },
                  "error": {
                    "type": "string"
                  },
                  "attempts": {
                    "type": "integer"
                  },
                  "skippedTimes": {
                    "type": "integer"
                  }
                },
                "required": [
                  "id",
                  "activationId",
                  "segmentId",
                  "destinationId",
                  "status",
                  "mode",
                  "scheduledTime",
                  "startedAt",
                  "profilesReceived",
                  "exported",
                  "excludedMandatory",
                  "excludedDuplicate",
                  "files",
                  "attempts",
                  "skippedTimes"
                ]
              },
              "Profile": {
                "type": "object",
                "properties": {
                  "namespace": {
                    "type": "string"
                  },
                  "id": {
                    "type": "string"
                  },
                  "updatedAt": {
                    "type": "string",
                    "format": "date-time"
                  },
                  "profile": {
                    "type": "object",
                    "description": "The merged profile document."
                  }
                },
                "required": [
                  "namespace",
                  "id",
                  "updatedAt",
                  "profile"
                ]
              },
              "StatusLine": {
                "type": "object",
                "properties": {
                  "activationId": {
                    "type": "string"
                  },
                  "activation": {
                    "type": "string"
                  },
                  "segmentId": {
                    "type": "string"
                  },
                  "segment": {
                    "type": "string"
                  },
                  "enabled": {
                    "type": "boolean"
                  },
                  "nextRun": {
                    "type": "string",
                    "format": "date-time"
                  },
                  "lastStatus": {
                    "type": "string",
                    "enum": [
                      "processing",
                      "success",
                      "failed"
                    ]
                  },
                  "lastScheduledTime": {
                    "type": "string",
                    "format": "date-time"
                  },
                  "lastRows": {
                    "type": "integer"
                  },
                  "delayedMinutes": {
                    "type": "integer"
                  },
                  "futureRunId": {
                    "type": "string"
                  },
                  "futureRunTime": {
                    "type": "string",
                    "format": "date-time"
                  }
                },
                "required": [
                  "activationId",
                  "activation",
                  "segmentId",
                  "segment",
                  "enabled",
                  "lastRows"
                ]
              },
              "Status": {
                "type": "object",
                "properties": {
                  "lines": {
                    "type": "array",
                    "items": {
                      "$ref": "#/components/schemas/StatusLine"
                    }
                  },
                  "unhealthy": {
                    "type": "integer",
                    "description": "Lines delayed, failed or held back by a future run; `ferry status --check` exits 4 when above 0."
                  }
                },
                "required": [
                  "lines",
                  "unhealthy"
                ]
              },
              "DestinationPage": {
                "type": "object",
                "properties": {
                  "items": {
                    "type": "array",
                    "items": {
                      "$ref": "#/components/schemas/Destination"
                    }
                  },
                  "nextCursor": {
                    "type": "string",
                    "description": "Pass as cursor for the next page; absent on the last."
                  }
                },
                "required": [
                  "items"
                ]
              },
              "SegmentPage": {
                "type": "object",
                "properties": {
                  "items": {
                    "type": "array",
                    "items": {
                      "$ref": "#/components/schemas/Segment"
                    }
                  },
                  "nextCursor": {
                    "type": "string",
                    "description": "Pass as cursor for the next page; absent on the last."
                  }
                },
                "required": [
                  "items"
                ]
              },
              "ActivationPage": {
                "type": "object",
                "properties": {
                  "items": {
                    "type": "array",
                    "items": {
                      "$ref": "#/components/schemas/Activation"
                    }
                  },
                  "nextCursor": {
                    "type": "string",
                    "description": "Pass as cursor for the next page; absent on the last."
                  }
                },
                "required": [
                  "items"
                ]
              },
              "RunPage": {
                "type": "object",
                "properties": {
                  "items": {
                    "type": "array",
                    "items": {
                      "$ref": "#/components/schemas/Run"
                    }
                  },
                  "nextCursor": {
                    "type": "string",
                    "description": "Pass as cursor for the next page; absent on the last."
                  }
                },
                "required": [
                  "items"
                ]
              },
              "MemberPage": {
                "type": "object",
                "properties": {
                  "items": {
                    "type": "array",
                    "items": {
                      "$ref": "#/components/schemas/Member"
                    }
                  },
                  "nextCursor": {
                    "type": "string",
                    "description": "Pass as cursor for the next page; absent on the last."
                  }
                },
                "required": [
                  "items"
                ]
              },
              "DryRun": {
                "type": "object",
                "description": "What one segment's run would write; nothing was written and no run recorded.",
                "properties": {
                  "segmentId": {
                    "type": "string"
                  },
                  "segmentName": {
                    "type": "string"
                  },
                  "bucket": {
                    "type": "string"
                  },
                  "received": {
                    "type": "integer"
                  },
                  "exported": {
                    "type": "integer"
                  },
                  "excludedMandatory": {
                    "type": "integer"
                  },
                  "excludedDuplicate": {
                    "type": "integer"
                  },
                  "files": {
                    "type": "array",
                    "items": {
                      "type": "object",
                      "properties": {
                        "key": {
                          "type": "string"
                        },
                        "rows": {
                          "type": "integer"
                        },
                        "bytes": {
                          "type": "integer",
                          "description": "After compression, before any encryption."
                        }
                      },
                      "required": [
                        "key",
                        "rows",
                        "bytes"
                      ]
                    }
                  },
                  "manifestKey": {
                    "type": "string",
                    "description": "With <run id> for the id a real run gets."
                  },
                  "sample": {
                    "type": "array",
                    "items": {
                      "type": "string"
                    },
                    "description": "The first 10 rows as encoded (Parquet: the schema, then typed values as JSON)."
                  }
                },
                "required": [
                  "segmentId",
                  "segmentName",
                  "bucket",
                  "received",
                  "exported",
                  "excludedMandatory",
                  "excludedDuplicate",
                  "files",
                  "sample"
                ]
              },
              "DryRunResult": {
                "type": "object",
                "properties": {
                  "results": {
                    "type": "array",
                    "items": {
                      "$ref": "#/components/schemas/DryRun"
                    }
                  }
                },
                "required": [
                  "results"
                ]
              },
              "Estimate": {
                "type": "object",
                "properties": {
                  "estimatedSize": {
                    "type": [
                      "integer",
                      "null"
                    ],
                    "description": "Profiles the definition selects now; null when it names segments, reads events or uses a form only the evaluator has, so only saving and evaluating tells."
                  }
                },
                "required": [
                  "estimatedSize"
                ]
              }
            }
          }
        }
        """#
}
