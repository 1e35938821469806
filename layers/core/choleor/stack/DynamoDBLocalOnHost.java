// DynamoDB Local bound to one address. Its own launcher listens on every interface and has no
// option to choose one; this starts the same server from the same arguments, and sets the
// address on its Jetty connector before it starts. Run in source-file mode (no build step):
//   java -cp DynamoDBLocal.jar:DynamoDBLocal_lib/* DynamoDBLocalOnHost.java HOST [DynamoDB Local args]
import java.lang.reflect.Field;
import java.util.Arrays;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public class DynamoDBLocalOnHost {
    public static void main(String[] args) throws Exception {
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(rest);
        Field field = DynamoDBProxyServer.class.getDeclaredField("server");
        field.setAccessible(true);
        for (Connector connector : ((Server) field.get(proxy)).getConnectors()) {
            ((ServerConnector) connector).setHost(args[0]);
        }
        proxy.start();
        proxy.join();
    }
}
