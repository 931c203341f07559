/*
 * A stand-in for WdfDriverEntry.lib, which ships only with the WDK and whose source is not public.
 * It lets tools/windows-glue/check link serial16550.sys on a non-Windows host, so that every symbol
 * the glue uses is resolved and the import table can be checked. The image it produces proves
 * symbol resolution only: it is NOT the image to install (build on Windows with `cargo make`).
 *
 * Written from the loader interface the WDF sources describe (fxldr.h): the stub binds to the
 * framework with WdfVersionBind, which fills the function table and the driver globals, calls the
 * driver's DriverEntry, and unbinds with WdfVersionUnbind if DriverEntry fails.
 */

typedef long NTSTATUS;
typedef unsigned long ULONG;
typedef unsigned short WCHAR;
typedef void (*WDFFUNC)(void);

typedef struct {
    ULONG Major;
    ULONG Minor;
    ULONG Build;
} WDF_VERSION;

typedef struct {
    ULONG Size;
    WCHAR *Component;
    WDF_VERSION Version;
    ULONG FuncCount;
    WDFFUNC *FuncTable;
    void *Module;
} WDF_BIND_INFO;

/* KMDF 1.33: WdfFunctionTableNumEntries in wdffuncenum.h. */
#define STAND_IN_FUNCTION_COUNT 458

NTSTATUS WdfVersionBind(void *DriverObject, void *RegistryPath, WDF_BIND_INFO *BindInfo,
                        void **ComponentGlobals);
NTSTATUS WdfVersionUnbind(void *RegistryPath, WDF_BIND_INFO *BindInfo, void *ComponentGlobals);
NTSTATUS DriverEntry(void *DriverObject, void *RegistryPath);

static WCHAR component_name[] = {'K', 'm', 'd', 'f', 'L', 'i', 'b', 'r', 'a', 'r', 'y', 0};
static WDFFUNC function_table[STAND_IN_FUNCTION_COUNT];

const WDFFUNC *WdfFunctions_01033 = function_table;
void *WdfDriverGlobals;
ULONG WdfFunctionCount = STAND_IN_FUNCTION_COUNT;
ULONG WdfStructureCount;
const void *WdfStructures;
unsigned char WdfClientVersionHigherThanFramework;
unsigned char WdfMinimumVersionRequired = 33;

WDF_BIND_INFO WdfBindInfo = {
    sizeof(WDF_BIND_INFO), component_name, {1, 33, 0}, STAND_IN_FUNCTION_COUNT, function_table, 0,
};

NTSTATUS FxDriverEntry(void *DriverObject, void *RegistryPath)
{
    NTSTATUS status = WdfVersionBind(DriverObject, RegistryPath, &WdfBindInfo, &WdfDriverGlobals);
    if (status < 0) {
        return status;
    }
    status = DriverEntry(DriverObject, RegistryPath);
    if (status < 0) {
        WdfVersionUnbind(RegistryPath, &WdfBindInfo, WdfDriverGlobals);
    }
    return status;
}
